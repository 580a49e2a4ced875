// A small valid pipeline for transform/load tests: only `imports` and the database schema matter.
import { definePipeline, type Pipeline, type PipelineInput } from '../../shared/pipeline-definition';

export function testPipeline(schema: string, imports: PipelineInput['imports'], name = 'shop'): Pipeline {
  return definePipeline({
    name,
    source: {
      kind: 'sftp', host: 'sftp.example', username: 'u', password: { secret: 'sftp-pw' },
      hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`, path: '/exports/{yyyyMMdd}/',
    },
    imports,
    database: { url: { secret: 'db-url' }, schema },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['sftp-pw', 'db-url', 'smtp-url'],
  });
}
