// Which of a pipeline's secrets a stage reads, and the environment variable Cloud Functions fills
// with each (secretEnvironmentVariables). Shared by the runtime and the Pulumi program so the grants
// and the reads cannot drift apart.
import { secretRefsIn } from './config-primitives';
import type { Pipeline } from './pipeline-definition';
import type { StageDeclaration } from './stage-declaration';

export function secretsForStage(pipeline: Pipeline, stage: Pick<StageDeclaration, 'uses'>): string[] {
  const names = new Set<string>();
  for (const use of stage.uses.secrets) {
    if (use === 'source') {
      for (const ref of secretRefsIn(pipeline.source)) names.add(ref.secret);
    } else if (use === 'destinations') {
      for (const ref of secretRefsIn(pipeline.destinations)) names.add(ref.secret);
    } else if (use === 'database') {
      names.add(pipeline.database.url.secret);
    } else if (use === 'database-read') {
      names.add(databaseSecretFor(pipeline, stage));
    } else if (use === 'mail') {
      names.add(pipeline.mail.smtpUrl.secret);
    } else if (use === 'alerts') {
      for (const ref of secretRefsIn(pipeline.alerts)) names.add(ref.secret);
    }
  }
  return [...names].sort();
}

// The secrets a stage may also write: OAuth refresh tokens in the parts it reads, which Google may
// rotate on refresh (the new token is stored as the secret's next version). Found by shape, like
// secretRefsIn, so every connector using googleAuthSchema's 'oauth' kind is covered.
export function rotatedSecretsForStage(pipeline: Pipeline, stage: Pick<StageDeclaration, 'uses'>): string[] {
  const parts: unknown[] = [];
  if (stage.uses.secrets.includes('source')) parts.push(pipeline.source);
  if (stage.uses.secrets.includes('destinations')) parts.push(pipeline.destinations);
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const token = record.refreshToken as { secret?: unknown } | undefined;
    if (record.kind === 'oauth' && typeof token?.secret === 'string') names.add(token.secret);
    Object.values(record).forEach(walk);
  };
  parts.forEach(walk);
  return [...names].sort();
}

// The database secret a stage connects with: the read-only one for a stage that only reads, when the
// pipeline declares one.
export function databaseSecretFor(pipeline: Pipeline, stage: Pick<StageDeclaration, 'uses'>): string {
  const onlyReads = stage.uses.secrets.includes('database-read') && !stage.uses.secrets.includes('database');
  return onlyReads && pipeline.database.readOnlyUrl ? pipeline.database.readOnlyUrl.secret : pipeline.database.url.secret;
}

// `pos-sftp-password` → `SLUICE_SECRET_POS_SFTP_PASSWORD`.
export function secretEnvVarName(secret: string): string {
  return `SLUICE_SECRET_${secret.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
