// Seeds the local Google API double for the POS pipeline's Drive destination: the back office's
// Google account with the folder the definition names (or the one a test gives), an OAuth client and
// that account's refresh token. Returns the secrets the pipeline reads. Idempotent for the folder.
import type { DestinationConfig, DriveDestination } from '../../shared/pipeline-definition';
import type { GoogleApiDoubleClient } from '../google-apis/double-client';

export const BACK_OFFICE_ACCOUNT = 'backoffice@restaurant.example';

export async function seedPosDrive(google: GoogleApiDoubleClient, destination: DriveDestination, account = BACK_OFFICE_ACCOUNT): Promise<Record<string, string>> {
  if (destination.auth.kind !== 'oauth') throw new Error('the demo seeds a Drive destination signed in with OAuth');
  const clientId = 'sluice-demo-backoffice.apps.googleusercontent.example';
  const clientSecret = `demo-secret-${Math.random().toString(36).slice(2)}`;
  await google.registerOAuthClient({ clientId, clientSecret, consentUser: account });
  const refreshToken = await google.issueRefreshToken({ clientId, user: account, scopes: ['drive'] });
  await google.createFolder({ id: destination.folderId, name: 'POS exports', owner: account });
  return {
    [destination.auth.clientId.secret]: clientId,
    [destination.auth.clientSecret.secret]: clientSecret,
    [destination.auth.refreshToken.secret]: refreshToken,
  };
}

// Seeds every Drive destination of a pipeline (the demo's, a test's copy of it); the secrets of all.
export async function seedPipelineDrive(google: GoogleApiDoubleClient, pipeline: { destinations: readonly DestinationConfig[] }, account = BACK_OFFICE_ACCOUNT): Promise<Record<string, string>> {
  let secrets: Record<string, string> = {};
  for (const destination of pipeline.destinations) {
    if (destination.kind === 'drive') secrets = { ...secrets, ...(await seedPosDrive(google, destination, account)) };
  }
  return secrets;
}
