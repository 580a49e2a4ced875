// What the local cloud tells every function about its stand-ins for outside services
// (SLUICE_LOCAL_ENDPOINTS): one entry per connector kind, in the shape that connector parses.
import type { LocalCloudEndpoints } from './stack';

export function localEndpointsOf(endpoints: LocalCloudEndpoints): Record<string, unknown> {
  return {
    sftp: { host: endpoints.sftp.host, port: endpoints.sftp.port, hostKeyFingerprint: endpoints.sftp.hostKeyFingerprint },
    google: { apiRoot: endpoints.google.apiRoot, tokenUrl: endpoints.google.tokenUrl, authUrl: endpoints.google.authUrl },
  };
}
