// A second set of definitions for the infra tests: three pipelines, two of them sharing a secret
// (the SMTP URL), one without a schedule, one reading its source with a private key.
import { definePipeline, type Pipeline, type PipelineInput } from '../../shared/pipeline-definition';

function pipeline(name: string, overrides: Partial<PipelineInput>): Pipeline {
  return definePipeline({
    name,
    source: {
      kind: 'sftp',
      host: `${name}.example`,
      username: 'sluice',
      password: { secret: `${name}-sftp-password` },
      hostKeyFingerprint: 'SHA256:Xw5n0pFQzq0rX1m3m3l0lJm8pQk5bXo2c9f6Yc3Vb1E',
      path: '/out/{yyyyMMdd}/',
    },
    imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
    database: { url: { secret: `${name}-database-url` }, schema: name.replace(/-/g, '_') },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'shared-smtp-url' } },
    secrets: [`${name}-sftp-password`, `${name}-database-url`, 'shared-smtp-url'],
    ...overrides,
  });
}

export const syntheticPipelines: readonly Pipeline[] = [
  pipeline('inventory', { schedule: { cron: '30 2 * * *', timeZone: 'Europe/Berlin', payload: { region: 'eu' } } }),
  pipeline('payroll', { schedule: { cron: '0 */4 * * 1-5', timeZone: 'Asia/Tokyo' } }),
  // No schedule: triggered manually only. Its own SMTP secret and a private-key source.
  pipeline('ad-hoc-uploads', {
    source: {
      kind: 'sftp',
      host: 'uploads.example',
      username: 'sluice',
      privateKey: { secret: 'uploads-ssh-key' },
      hostKeyFingerprint: 'SHA256:Xw5n0pFQzq0rX1m3m3l0lJm8pQk5bXo2c9f6Yc3Vb1E',
      path: '/incoming/',
    },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'uploads-smtp-url' } },
    database: { url: { secret: 'ad-hoc-uploads-database-url' }, schema: 'uploads' },
    secrets: ['uploads-ssh-key', 'uploads-smtp-url', 'ad-hoc-uploads-database-url'],
  }),
];
