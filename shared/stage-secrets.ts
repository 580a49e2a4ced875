// Which of a pipeline's secrets a stage reads, and the environment variable Cloud Functions fills
// with each (secretEnvironmentVariables). Shared by the runtime and the Pulumi program so the grants
// and the reads cannot drift apart.
import type { Pipeline } from './pipeline-definition';
import type { StageDeclaration } from './stage-declaration';

export function secretsForStage(pipeline: Pipeline, stage: Pick<StageDeclaration, 'uses'>): string[] {
  const names = new Set<string>();
  for (const use of stage.uses.secrets) {
    if (use === 'source') {
      if (pipeline.source.password) names.add(pipeline.source.password.secret);
      if (pipeline.source.privateKey) names.add(pipeline.source.privateKey.secret);
    } else if (use === 'database') {
      names.add(pipeline.database.url.secret);
    } else if (use === 'database-read') {
      names.add(databaseSecretFor(pipeline, stage));
    } else if (use === 'mail') {
      names.add(pipeline.mail.smtpUrl.secret);
    }
  }
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
