// Registers function identities with the Cloud Storage emulator's simulated IAM over HTTP: the
// emulator runs in one process (the test global setup, the CLI), deployments happen in others.
import type { ObjectBinding } from '../../shared/bucket-access';

const identityUrl = (storageUrl: string, identity: string) => `${storageUrl.replace(/\/+$/, '')}/_sluice/identities/${encodeURIComponent(identity)}`;

/**
 * Grants `identity` exactly `bindings` (replacing what it had). Resolves false when the emulator at
 * storageUrl has no simulated IAM (another Cloud Storage emulator): it then allows every caller.
 */
export async function registerStorageIdentity(storageUrl: string, identity: string, bindings: readonly ObjectBinding[]): Promise<boolean> {
  const response = await fetch(identityUrl(storageUrl, identity), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bindings }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status === 404) return false;
  if (!response.ok) throw new Error(`registering ${identity} with the Cloud Storage emulator failed: ${response.status} ${text}`);
  return true;
}

export async function removeStorageIdentity(storageUrl: string, identity: string): Promise<void> {
  const response = await fetch(identityUrl(storageUrl, identity), { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  if (!response.ok && response.status !== 404) throw new Error(`removing ${identity} from the Cloud Storage emulator failed: ${response.status}`);
}
