// A second set of definitions for the infra tests: five pipelines, two of them sharing a secret
// (the SMTP URL), one posting alerts to a webhook, one without a schedule, one reading its source with a private key, one reading a
// Gmail inbox with push (OAuth) and delivering to Drive as a service account, and one copying its
// SFTP export to Drive with a user's OAuth token (the OAuth client shared with the Gmail one).
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
  // Alerts also posted to a chat webhook, whose URL is a secret.
  pipeline('payroll', {
    schedule: { cron: '0 */4 * * 1-5', timeZone: 'Asia/Tokyo' },
    alerts: { to: ['ops@example.com'], longRunningMinutes: 90, missedScheduleMinutes: 30, webhook: { url: { secret: 'payroll-alert-webhook' } } },
    secrets: ['payroll-sftp-password', 'payroll-database-url', 'shared-smtp-url', 'payroll-alert-webhook'],
  }),
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
  pipeline('vendor-mail', {
    source: {
      kind: 'gmail',
      auth: { kind: 'oauth', clientId: { secret: 'google-oauth-client-id' }, clientSecret: { secret: 'google-oauth-client-secret' }, refreshToken: { secret: 'vendor-mail-gmail-token' } },
      rules: [{ name: 'prices', from: 'vendor\\.example$', attachmentName: '\\.csv$' }],
      push: true,
    },
    schedule: { cron: '0 * * * *', timeZone: 'Europe/Berlin' },
    destinations: [{ kind: 'drive', folderId: 'vendorFolder123', driveId: 'sharedDrive456', auth: { kind: 'service-account', key: { secret: 'vendor-mail-drive-key' } } }],
    secrets: ['google-oauth-client-id', 'google-oauth-client-secret', 'vendor-mail-gmail-token', 'vendor-mail-drive-key', 'vendor-mail-database-url', 'shared-smtp-url'],
  }),
  pipeline('pos-to-drive', {
    schedule: { cron: '15 3 * * *', timeZone: 'America/New_York' },
    destinations: [{
      kind: 'drive',
      folderId: 'posFolder789',
      subfolder: '{yyyyMMdd}',
      auth: { kind: 'oauth', clientId: { secret: 'google-oauth-client-id' }, clientSecret: { secret: 'google-oauth-client-secret' }, refreshToken: { secret: 'pos-to-drive-drive-token' } },
    }],
    secrets: ['pos-to-drive-sftp-password', 'pos-to-drive-database-url', 'shared-smtp-url', 'google-oauth-client-id', 'google-oauth-client-secret', 'pos-to-drive-drive-token'],
  }),
];
