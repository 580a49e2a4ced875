// The secret values of the demo pipelines (restaurant-pos, vendor-inbox) on the local cloud: its SFTP
// password, database and SMTP URLs, and the OAuth credentials the Google API double is seeded with.
// Only for the demo pipelines the list holds; a user's own pipeline gets its values from the local
// secrets file (local-secrets.ts), which also wins over these.
import type { Pipeline } from '../../shared/pipeline-definition';
import type { GoogleApiDoubleClient } from '../google-apis/double-client';
import type { LocalCloudEndpoints } from '../stack';
import { seedPipelineDrive } from './pos-drive-seed';
import { seedFinanceMailbox } from './vendor-inbox-seed';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { vendorInbox } from '../../pipelines/vendor-inbox';

export const DEMO_PIPELINE_NAMES: readonly string[] = [restaurantPos.name, vendorInbox.name];

export const isDemoPipeline = (pipeline: Pick<Pipeline, 'name'>): boolean => DEMO_PIPELINE_NAMES.includes(pipeline.name);

// The names seedDemoSecrets will give values to, known before the local cloud starts (the missing-secret
// check runs before it, so a user's pipeline without its secrets fails in a second, not after the JVMs).
export function demoSecretNames(pipelines: readonly Pipeline[]): Set<string> {
  return new Set(pipelines.filter(isDemoPipeline).flatMap((p) => p.secrets));
}

export async function seedDemoSecrets(options: { google: GoogleApiDoubleClient; endpoints: LocalCloudEndpoints; databaseUrl: string; pipelines: readonly Pipeline[] }): Promise<Record<string, string>> {
  const { google, endpoints, databaseUrl } = options;
  const listed = options.pipelines.filter(isDemoPipeline);
  let secrets: Record<string, string> = {};
  for (const pipeline of listed) {
    if (pipeline.name === restaurantPos.name) {
      secrets = { ...secrets, 'pos-sftp-password': endpoints.sftp.password, 'pos-database-url': databaseUrl, ...(await seedPipelineDrive(google, pipeline)) };
    } else if (pipeline.name === vendorInbox.name) {
      secrets = { ...secrets, 'finance-database-url': databaseUrl, ...(await seedFinanceMailbox(google)) };
    }
  }
  if (listed.length > 0) secrets['smtp-url'] = `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`;
  return secrets;
}
