import type { Logger } from '../../shared/logger';
import type { BlobStore } from './blob-store';
import { gcsErrors } from './errors';
import type { MetaStore } from './meta-store';
import { checkPreconditions, type Preconditions } from './preconditions';
import type { BucketRecord, ObjectEvent, ObjectFields, ObjectRecord } from './types';

// The live view of buckets and objects. Every mutation checks its preconditions and swaps the
// record in one synchronous step (no await in between), which is what makes
// `ifGenerationMatch=0` create-only writes race-free: of two concurrent writers exactly one
// sees "absent". Persistence is queued in the same tick, so disk follows memory in order.
// In a bucket with versioning enabled, an overwritten or deleted live generation is kept as a
// noncurrent generation (with timeDeleted) until it is deleted by its generation number.

export type EventSink = (bucket: BucketRecord, event: ObjectEvent) => void;

export type NewObject = Pick<ObjectRecord, 'bucket' | 'name' | 'blobId' | 'size' | 'md5Hash' | 'crc32c' | 'fields' | 'componentCount'>;

/** Object names sort by their UTF-8 bytes in GCS listings. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class GcsState {
  private buckets = new Map<string, BucketRecord>();
  private objects = new Map<string, Map<string, ObjectRecord>>();
  private sortedNames = new Map<string, string[]>();
  /** Versioned buckets: bucket → name → noncurrent generations, oldest first. */
  private noncurrent = new Map<string, Map<string, ObjectRecord[]>>();
  private lastGeneration = 0n;

  private constructor(
    private readonly meta: MetaStore,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    private readonly onEvent: EventSink,
  ) {}

  static async open(meta: MetaStore, blobs: BlobStore, logger: Logger, onEvent: EventSink): Promise<GcsState> {
    const state = new GcsState(meta, blobs, logger, onEvent);
    const loaded = await meta.load();
    for (const b of loaded.buckets) {
      state.buckets.set(b.name, b);
      state.objects.set(b.name, new Map());
    }
    const referenced = new Set<string>();
    for (const o of loaded.objects) {
      if (!state.buckets.has(o.bucket)) continue;
      if (o.timeDeleted) state.keepNoncurrent(o);
      else state.objects.get(o.bucket)!.set(o.name, o);
      referenced.add(o.blobId);
      if (BigInt(o.generation) > state.lastGeneration) state.lastGeneration = BigInt(o.generation);
    }
    // Blobs written but never referenced (the emulator stopped between the two steps).
    for (const id of await blobs.list()) if (!referenced.has(id)) await blobs.remove(id);
    return state;
  }

  /** Microseconds since the epoch, strictly increasing: a new one for every write. */
  nextGeneration(): string {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration.toString();
  }

  // ---- buckets ----

  listBuckets(project?: string): BucketRecord[] {
    return [...this.buckets.values()]
      .filter((b) => project === undefined || b.project === project)
      .sort((a, b) => compareNames(a.name, b.name));
  }

  getBucket(name: string): BucketRecord {
    const b = this.buckets.get(name);
    if (!b) throw gcsErrors.noSuchBucket();
    return b;
  }

  async createBucket(b: BucketRecord): Promise<BucketRecord> {
    if (this.buckets.has(b.name)) throw gcsErrors.bucketExists();
    this.buckets.set(b.name, b);
    this.objects.set(b.name, new Map());
    await this.meta.saveBucket(b);
    return b;
  }

  /** Replaces a bucket record (patch, notification configs); `metadataChange` bumps metageneration. */
  async updateBucket(name: string, mutate: (b: BucketRecord) => BucketRecord, metadataChange: boolean): Promise<BucketRecord> {
    const current = this.getBucket(name);
    const next = mutate(structuredClone(current));
    if (metadataChange) {
      next.metageneration = current.metageneration + 1;
      next.updated = new Date().toISOString();
    }
    this.buckets.set(name, next);
    await this.meta.saveBucket(next);
    return next;
  }

  async deleteBucket(name: string): Promise<void> {
    this.getBucket(name);
    if ((this.objects.get(name)?.size ?? 0) > 0 || (this.noncurrent.get(name)?.size ?? 0) > 0) throw gcsErrors.bucketNotEmpty();
    this.buckets.delete(name);
    this.objects.delete(name);
    this.noncurrent.delete(name);
    this.sortedNames.delete(name);
    await this.meta.removeBucket(name);
  }

  // ---- objects ----

  getObject(bucket: string, name: string): ObjectRecord | undefined {
    return this.objects.get(bucket)?.get(name);
  }

  /**
   * The live object, or with `generation` that generation (live or, in a versioned bucket,
   * noncurrent); 404 for a missing bucket, object or generation.
   */
  requireObject(bucket: string, name: string, generation?: string | null): ObjectRecord {
    this.getBucket(bucket);
    const o = this.getObject(bucket, name);
    if (generation == null || generation === o?.generation) {
      if (!o) throw gcsErrors.noSuchObject(bucket, name);
      return o;
    }
    const old = this.noncurrent.get(bucket)?.get(name)?.find((x) => x.generation === generation);
    if (!old) throw gcsErrors.noSuchObject(bucket, name);
    return old;
  }

  /** Every generation, live and noncurrent, in listing order: by name, then oldest first. */
  allGenerations(bucket: string): ObjectRecord[] {
    this.getBucket(bucket);
    const out: ObjectRecord[] = [...(this.objects.get(bucket)?.values() ?? [])];
    for (const list of this.noncurrent.get(bucket)?.values() ?? []) out.push(...list);
    return out.sort((a, b) => compareNames(a.name, b.name) || (BigInt(a.generation) < BigInt(b.generation) ? -1 : 1));
  }

  private versioned(bucket: BucketRecord): boolean {
    return bucket.versioning?.enabled === true;
  }

  private keepNoncurrent(o: ObjectRecord): void {
    let names = this.noncurrent.get(o.bucket);
    if (!names) this.noncurrent.set(o.bucket, (names = new Map()));
    const list = names.get(o.name) ?? [];
    list.push(o);
    list.sort((a, b) => (BigInt(a.generation) < BigInt(b.generation) ? -1 : 1));
    names.set(o.name, list);
  }

  /** Makes a live generation noncurrent (versioned bucket); returns the record kept. */
  private archive(o: ObjectRecord, time: string): { record: ObjectRecord; saved: Promise<void> } {
    const record: ObjectRecord = { ...o, timeDeleted: time };
    this.keepNoncurrent(record);
    return { record, saved: this.meta.saveNoncurrent(record) };
  }

  /** Names in listing order (cached until a name is added or removed). */
  objectNames(bucket: string): string[] {
    this.getBucket(bucket);
    let names = this.sortedNames.get(bucket);
    if (!names) {
      names = [...(this.objects.get(bucket)?.keys() ?? [])].sort(compareNames);
      this.sortedNames.set(bucket, names);
    }
    return names;
  }

  /**
   * Makes a new generation of an object live if the preconditions hold. Takes ownership of
   * `next.blobId`: on failure the blob is removed, on success the replaced blob is. `authorize`
   * sees the object about to be replaced (simulated IAM: replacing needs more than creating); it
   * runs in the same synchronous step, before the preconditions, and throws to refuse.
   */
  async putObject(next: NewObject, pre: Preconditions, authorize?: (previous: ObjectRecord | undefined) => void): Promise<ObjectRecord> {
    let record: ObjectRecord;
    let previous: ObjectRecord | undefined;
    let keepPrevious = false;
    try {
      const bucket = this.getBucket(next.bucket);
      const objects = this.objects.get(bucket.name)!;
      previous = objects.get(next.name);
      authorize?.(previous);
      checkPreconditions(previous, pre);
      const now = new Date().toISOString();
      record = { ...next, generation: this.nextGeneration(), metageneration: 1, timeCreated: now, updated: now };
      objects.set(next.name, record);
      if (!previous) this.sortedNames.delete(bucket.name);
      const saved = [this.meta.saveObject(record)];
      const time = now;
      if (previous && this.versioned(bucket)) {
        const archived = this.archive(previous, time);
        saved.push(archived.saved);
        keepPrevious = true;
        this.onEvent(bucket, { type: 'OBJECT_ARCHIVE', object: archived.record, overwrittenByGeneration: record.generation, time });
      } else if (previous) {
        this.onEvent(bucket, { type: 'OBJECT_DELETE', object: previous, overwrittenByGeneration: record.generation, time });
      }
      this.onEvent(bucket, { type: 'OBJECT_FINALIZE', object: record, overwroteGeneration: previous?.generation, time });
      await Promise.all(saved);
    } catch (err) {
      await this.blobs.remove(next.blobId);
      throw err;
    }
    if (previous && !keepPrevious) this.dropBlob(previous.blobId);
    return record;
  }

  /** Metadata change: a new metageneration of the same generation. */
  async patchObject(
    bucket: string,
    name: string,
    generation: string | null,
    pre: Preconditions,
    mutate: (fields: ObjectFields) => ObjectFields,
  ): Promise<ObjectRecord> {
    const current = this.requireObject(bucket, name, generation);
    if (current.timeDeleted) throw gcsErrors.notImplemented('metadata changes to a noncurrent generation');
    checkPreconditions(current, pre);
    const record: ObjectRecord = {
      ...current,
      fields: mutate(structuredClone(current.fields)),
      metageneration: current.metageneration + 1,
      updated: new Date().toISOString(),
    };
    this.objects.get(bucket)!.set(name, record);
    const saved = this.meta.saveObject(record);
    this.onEvent(this.getBucket(bucket), { type: 'OBJECT_METADATA_UPDATE', object: record, time: record.updated });
    await saved;
    return record;
  }

  /**
   * Without a generation: the live object goes (kept as noncurrent in a versioned bucket). With
   * one: that generation, live or noncurrent, is deleted for good, as in Cloud Storage.
   */
  async deleteObject(bucket: string, name: string, generation: string | null, pre: Preconditions): Promise<ObjectRecord> {
    const current = this.requireObject(bucket, name, generation);
    checkPreconditions(current, pre);
    const b = this.getBucket(bucket);
    const time = new Date().toISOString();
    if (current.timeDeleted) {
      const names = this.noncurrent.get(bucket)!;
      const rest = names.get(name)!.filter((x) => x !== current);
      if (rest.length > 0) names.set(name, rest);
      else names.delete(name);
      const removed = this.meta.removeNoncurrent(current);
      this.onEvent(b, { type: 'OBJECT_DELETE', object: current, time });
      await removed;
      this.dropBlob(current.blobId);
      return current;
    }
    this.objects.get(bucket)!.delete(name);
    this.sortedNames.delete(bucket);
    const removed = [this.meta.removeObject(bucket, name)];
    if (generation === null && this.versioned(b)) {
      const archived = this.archive(current, time);
      removed.push(archived.saved);
      this.onEvent(b, { type: 'OBJECT_ARCHIVE', object: archived.record, time });
      await Promise.all(removed);
      return current;
    }
    this.onEvent(b, { type: 'OBJECT_DELETE', object: current, time });
    await Promise.all(removed);
    this.dropBlob(current.blobId);
    return current;
  }

  private dropBlob(blobId: string): void {
    this.blobs.remove(blobId).catch((err: unknown) => this.logger.warn('gcs blob removal failed', { blobId, err }));
  }
}
