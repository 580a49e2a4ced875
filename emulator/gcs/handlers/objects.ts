import type { GcsContext, GcsRequest } from '../context';
import { readJson, sendEmpty, sendJson, drain } from '../http';
import { patchFields, updateFields } from '../object-fields';
import { checkPreconditions, readPreconditions } from '../preconditions';
import { objectResource } from '../resources';

// objects.get (metadata), objects.patch, objects.update, objects.delete.

export async function getObjectMetadata(ctx: GcsContext, r: GcsRequest, bucket: string, name: string): Promise<void> {
  await drain(r.req);
  const o = ctx.state.requireObject(bucket, name, r.query.get('generation'));
  checkPreconditions(o, readPreconditions(r.query), true);
  sendJson(r.res, 200, objectResource(o, r.baseUrl));
}

export async function patchObject(ctx: GcsContext, r: GcsRequest, bucket: string, name: string, replace: boolean): Promise<void> {
  const body = await readJson(r.req);
  const next = await ctx.state.patchObject(bucket, name, r.query.get('generation'), readPreconditions(r.query), (fields) =>
    replace ? updateFields(fields, body) : patchFields(fields, body),
  );
  sendJson(r.res, 200, objectResource(next, r.baseUrl));
}

export async function deleteObject(ctx: GcsContext, r: GcsRequest, bucket: string, name: string): Promise<void> {
  await drain(r.req);
  await ctx.state.deleteObject(bucket, name, r.query.get('generation'), readPreconditions(r.query));
  sendEmpty(r.res, 204);
}
