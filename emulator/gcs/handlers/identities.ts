import type { GcsContext, GcsRequest } from '../context';
import { GcsError, gcsErrors } from '../errors';
import { drain, readJson, sendEmpty, sendJson } from '../http';
import { parseBindings } from '../iam';

// The emulator's own admin API for simulated IAM (not part of Cloud Storage's):
//   PUT    /_sluice/identities/<identity>  { bindings: [{ bucket, role, objectPrefix }] }
//   DELETE /_sluice/identities/<identity>
//   GET    /_sluice/identities
// Only the operator may call it: an identity cannot grant itself anything.

export async function identities(ctx: GcsContext, r: GcsRequest, identity: string | undefined): Promise<void> {
  const method = r.req.method ?? 'GET';
  if (r.access.identity !== undefined) {
    await drain(r.req);
    throw new GcsError(403, `${r.access.identity} may not change the emulator's identities.`, { domain: 'global', reason: 'forbidden' });
  }
  if (identity === undefined) {
    await drain(r.req);
    if (method !== 'GET') throw gcsErrors.methodNotAllowed();
    sendJson(r.res, 200, { identities: ctx.iam.list() });
    return;
  }
  if (method === 'PUT') {
    const bindings = parseBindings(await readJson(r.req));
    if (typeof bindings === 'string') throw gcsErrors.invalid(bindings);
    ctx.iam.register(identity, bindings);
    sendJson(r.res, 200, { identity, bindings });
    return;
  }
  await drain(r.req);
  if (method === 'DELETE') {
    ctx.iam.remove(identity);
    sendEmpty(r.res, 204);
    return;
  }
  throw gcsErrors.methodNotAllowed();
}
