import type { GcsContext, GcsRequest } from '../context';
import { gcsErrors } from '../errors';
import { drain, readJson, sendEmpty, sendJson } from '../http';
import { notificationResource } from '../resources';
import type { NotificationRecord } from '../types';

// notifications.insert / get / list / delete (POST|GET /b/B/notificationConfigs[/ID]).
// The client sends snake_case keys (event_types, payload_format, ...); camelCase is accepted too.

const EVENT_TYPES = new Set(['OBJECT_FINALIZE', 'OBJECT_METADATA_UPDATE', 'OBJECT_DELETE', 'OBJECT_ARCHIVE']);
const TOPIC = /^(?:\/\/pubsub\.googleapis\.com\/)?projects\/([^/]+)\/topics\/([^/]+)$/;

function pick(body: Record<string, unknown>, snake: string, camel: string): unknown {
  return body[snake] ?? body[camel];
}

export function parseNotification(body: Record<string, unknown>, id: string): NotificationRecord {
  const topic = typeof body.topic === 'string' ? TOPIC.exec(body.topic) : null;
  if (!topic) throw gcsErrors.invalid('Invalid argument: topic must look like projects/PROJECT/topics/TOPIC.');
  const payloadFormat = pick(body, 'payload_format', 'payloadFormat') ?? 'JSON_API_V1';
  if (payloadFormat !== 'JSON_API_V1' && payloadFormat !== 'NONE') throw gcsErrors.invalid(`Invalid payload format: ${String(payloadFormat)}`);
  const record: NotificationRecord = {
    id,
    topic: `//pubsub.googleapis.com/projects/${topic[1]}/topics/${topic[2]}`,
    payloadFormat,
  };
  const eventTypes = pick(body, 'event_types', 'eventTypes');
  if (eventTypes !== undefined) {
    if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string' || !EVENT_TYPES.has(t))) {
      throw gcsErrors.invalid(`Invalid event types: ${JSON.stringify(eventTypes)}`);
    }
    if (eventTypes.length > 0) record.eventTypes = eventTypes as string[];
  }
  const prefix = pick(body, 'object_name_prefix', 'objectNamePrefix');
  if (typeof prefix === 'string' && prefix) record.objectNamePrefix = prefix;
  const attrs = pick(body, 'custom_attributes', 'customAttributes');
  if (attrs && typeof attrs === 'object' && !Array.isArray(attrs)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs)) out[k] = String(v);
    if (Object.keys(out).length > 0) record.customAttributes = out;
  }
  return record;
}

export async function createNotification(ctx: GcsContext, r: GcsRequest, bucket: string): Promise<void> {
  const body = ((await readJson(r.req)) ?? {}) as Record<string, unknown>;
  const current = ctx.state.getBucket(bucket);
  const record = parseNotification(body, String(current.nextNotificationId));
  await ctx.state.updateBucket(bucket, (b) => {
    b.notifications.push(record);
    b.nextNotificationId += 1;
    return b;
  }, false);
  ctx.logger.info('gcs notification config created', { bucket, id: record.id, topic: record.topic });
  sendJson(r.res, 200, notificationResource(bucket, record, r.baseUrl));
}

export async function listNotifications(ctx: GcsContext, r: GcsRequest, bucket: string): Promise<void> {
  await drain(r.req);
  const b = ctx.state.getBucket(bucket);
  const body: Record<string, unknown> = { kind: 'storage#notifications' };
  if (b.notifications.length > 0) body.items = b.notifications.map((n) => notificationResource(bucket, n, r.baseUrl));
  sendJson(r.res, 200, body);
}

export async function getNotification(ctx: GcsContext, r: GcsRequest, bucket: string, id: string): Promise<void> {
  await drain(r.req);
  const n = ctx.state.getBucket(bucket).notifications.find((x) => x.id === id);
  if (!n) throw gcsErrors.noSuchNotification(id);
  sendJson(r.res, 200, notificationResource(bucket, n, r.baseUrl));
}

export async function deleteNotification(ctx: GcsContext, r: GcsRequest, bucket: string, id: string): Promise<void> {
  await drain(r.req);
  if (!ctx.state.getBucket(bucket).notifications.some((x) => x.id === id)) throw gcsErrors.noSuchNotification(id);
  await ctx.state.updateBucket(bucket, (b) => {
    b.notifications = b.notifications.filter((x) => x.id !== id);
    return b;
  }, false);
  sendEmpty(r.res, 204);
}
