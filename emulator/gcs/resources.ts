import type { BucketRecord, NotificationRecord, ObjectRecord } from './types';

// JSON API resources, field for field as Cloud Storage renders them (int64 values as strings).

/** Protobuf-style varint, as in GCS etags (which are base64 of {1: generation, 2: metageneration}). */
function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

export function objectEtag(o: ObjectRecord): string {
  return Buffer.from([0x08, ...varint(BigInt(o.generation)), 0x10, ...varint(BigInt(o.metageneration))]).toString('base64');
}

function bucketEtag(b: BucketRecord): string {
  return Buffer.from([0x08, ...varint(BigInt(b.metageneration))]).toString('base64');
}

const enc = encodeURIComponent;

export function objectResource(o: ObjectRecord, baseUrl: string): Record<string, unknown> {
  const f = o.fields;
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${enc(o.bucket)}/o/${enc(o.name)}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${enc(o.bucket)}/o/${enc(o.name)}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: String(o.metageneration),
    contentType: f.contentType ?? 'application/octet-stream',
    storageClass: f.storageClass ?? 'STANDARD',
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: objectEtag(o),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
    timeFinalized: o.timeCreated,
  };
  if (f.contentEncoding !== undefined) resource.contentEncoding = f.contentEncoding;
  if (f.contentDisposition !== undefined) resource.contentDisposition = f.contentDisposition;
  if (f.contentLanguage !== undefined) resource.contentLanguage = f.contentLanguage;
  if (f.cacheControl !== undefined) resource.cacheControl = f.cacheControl;
  if (f.customTime !== undefined) resource.customTime = f.customTime;
  if (f.metadata !== undefined && Object.keys(f.metadata).length > 0) resource.metadata = { ...f.metadata };
  if (o.componentCount !== undefined) resource.componentCount = o.componentCount;
  if (o.timeDeleted !== undefined) resource.timeDeleted = o.timeDeleted;
  return resource;
}

/** A stable, plausible project number for a project id (GCS always reports one). */
function projectNumber(project: string): string {
  let h = 0;
  for (const ch of project) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_000_000;
  return String(100_000_000_000 + (h % 900_000_000_000));
}

export function bucketResource(b: BucketRecord, baseUrl: string): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    kind: 'storage#bucket',
    selfLink: `${baseUrl}/storage/v1/b/${enc(b.name)}`,
    id: b.name,
    name: b.name,
    projectNumber: projectNumber(b.project),
    metageneration: String(b.metageneration),
    location: b.location,
    storageClass: b.storageClass,
    etag: bucketEtag(b),
    timeCreated: b.timeCreated,
    updated: b.updated,
    iamConfiguration: {
      bucketPolicyOnly: { enabled: false },
      uniformBucketLevelAccess: { enabled: false },
      publicAccessPrevention: 'inherited',
    },
    locationType: b.location.includes('-') ? 'region' : 'multi-region',
    rpo: 'DEFAULT',
  };
  if (b.labels && Object.keys(b.labels).length > 0) resource.labels = { ...b.labels };
  if (b.versioning) resource.versioning = { ...b.versioning };
  return resource;
}

export function notificationResource(bucket: string, n: NotificationRecord, baseUrl: string): Record<string, unknown> {
  // The notifications resource is the one JSON API resource with snake_case fields.
  const resource: Record<string, unknown> = {
    kind: 'storage#notification',
    selfLink: `${baseUrl}/storage/v1/b/${enc(bucket)}/notificationConfigs/${n.id}`,
    id: n.id,
    topic: n.topic,
    etag: n.id,
    payload_format: n.payloadFormat,
  };
  if (n.eventTypes && n.eventTypes.length > 0) resource.event_types = [...n.eventTypes];
  if (n.objectNamePrefix) resource.object_name_prefix = n.objectNamePrefix;
  if (n.customAttributes && Object.keys(n.customAttributes).length > 0) resource.custom_attributes = { ...n.customAttributes };
  return resource;
}
