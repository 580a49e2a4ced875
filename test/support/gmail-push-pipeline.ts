// The Gmail pipeline with push the push, watch and source-action tests share: one rule, one import.
import { definePipeline, type Pipeline } from '../../shared/pipeline-definition';

export function gmailPushPipeline(): Pipeline {
  return definePipeline({
    name: 'vendor-mail',
    source: {
      kind: 'gmail',
      auth: { kind: 'oauth', clientId: { secret: 'gm-client-id' }, clientSecret: { secret: 'gm-client-secret' }, refreshToken: { secret: 'gm-refresh-token' } },
      rules: [{ name: 'prices', attachmentName: '\\.csv$' }],
      push: true,
    },
    imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
    database: { url: { secret: 'db-url' }, schema: 'vendor_mail' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['gm-client-id', 'gm-client-secret', 'gm-refresh-token', 'db-url', 'smtp-url'],
  });
}
