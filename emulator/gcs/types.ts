// The emulator's own records. Resources sent to clients are rendered from these (resources.ts).

/** Object fields a client may set on upload, patch, update or rewrite. */
export interface ObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  storageClass?: string;
  metadata?: Record<string, string>;
}

export interface ObjectRecord {
  bucket: string;
  name: string;
  /** Microseconds since the epoch, as a decimal string (GCS sends int64 as strings). */
  generation: string;
  metageneration: number;
  blobId: string;
  size: number;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  updated: string;
  fields: ObjectFields;
  /** Composite objects only: how many components they were composed of. */
  componentCount?: number;
  /** Noncurrent generations only (versioned buckets): when it stopped being live. */
  timeDeleted?: string;
}

export interface NotificationRecord {
  id: string;
  /** Always in the `//pubsub.googleapis.com/projects/P/topics/T` form GCS returns. */
  topic: string;
  payloadFormat: 'JSON_API_V1' | 'NONE';
  eventTypes?: string[];
  objectNamePrefix?: string;
  customAttributes?: Record<string, string>;
}

export interface BucketRecord {
  name: string;
  project: string;
  timeCreated: string;
  updated: string;
  metageneration: number;
  location: string;
  storageClass: string;
  labels?: Record<string, string>;
  versioning?: { enabled: boolean };
  notifications: NotificationRecord[];
  nextNotificationId: number;
}

/** OBJECT_ARCHIVE: in a versioned bucket, the live generation became noncurrent (instead of OBJECT_DELETE). */
export type ObjectEventType = 'OBJECT_FINALIZE' | 'OBJECT_DELETE' | 'OBJECT_ARCHIVE' | 'OBJECT_METADATA_UPDATE';

export interface ObjectEvent {
  type: ObjectEventType;
  object: ObjectRecord;
  /** OBJECT_FINALIZE that replaced a live object: the generation it replaced. */
  overwroteGeneration?: string;
  /** OBJECT_DELETE / OBJECT_ARCHIVE caused by an overwrite: the generation that replaced it. */
  overwrittenByGeneration?: string;
  time: string;
}
