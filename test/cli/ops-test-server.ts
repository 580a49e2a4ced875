// The real ops HTTP server (startOpsServer) over the fixture service, with three tokens: an
// operator's, a viewer's, and anything else refused — what the CLI's exit codes 4 are about.
import { HttpError } from '../../functions/ops/http/api-error';
import { startOpsServer, type OpsServer } from '../../functions/ops/http/start-ops-server';
import { createFixture, type Fixture } from './fixture-ops-service';

export const OPERATOR_TOKEN = 'operator-token';
export const VIEWER_TOKEN = 'viewer-token';

export async function startFixtureServer(): Promise<{ server: OpsServer; fixture: Fixture }> {
  const fixture = createFixture();
  const server = await startOpsServer({
    service: fixture.service,
    auth: {
      authenticate: async (token) => {
        if (token === OPERATOR_TOKEN) return { principal: 'user:op@example.com', role: 'operator' };
        if (token === VIEWER_TOKEN) return { principal: 'user:viewer@example.com', role: 'viewer' };
        throw new HttpError('unauthenticated', 'The token is missing, expired or not valid for this API.');
      },
    },
  });
  return { server, fixture };
}
