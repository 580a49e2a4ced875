// The import rules a raw object may feed, from its custom metadata (IMPORT_RULES_METADATA_KEY). The
// notification body (JSON_API_V1, the object resource) carries that metadata for every object fetch
// wrote, so usually no request is made; a body without it (payload NONE, load's retransform notice,
// an object uploaded by hand) is answered by reading the object's metadata at that generation.
import type { Bucket } from '@google-cloud/storage';
import type { ObjectRef } from '../../shared/messages';
import { asStageError, isNotFound } from '../../shared/storage-errors';
import { allowedImportRulesOf } from './match-import-rule';

function metadataInBody(data: Buffer): Record<string, unknown> | undefined {
  if (data.length === 0) return undefined;
  try {
    const resource = JSON.parse(data.toString('utf8')) as { metadata?: unknown };
    return typeof resource.metadata === 'object' && resource.metadata !== null ? resource.metadata as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

export async function allowedImportRules(bucket: Bucket, raw: ObjectRef, notificationBody: Buffer): Promise<string[] | undefined> {
  const inBody = metadataInBody(notificationBody);
  if (inBody) return allowedImportRulesOf(inBody);
  try {
    const [metadata] = await bucket.file(raw.object, { generation: Number(raw.generation) }).getMetadata();
    return allowedImportRulesOf(metadata.metadata as Record<string, unknown> | undefined);
  } catch (error) {
    // Gone: the write below finds that out and settles the file as it always has.
    if (isNotFound(error)) return undefined;
    throw asStageError(error, `reading gs://${raw.bucket}/${raw.object}`);
  }
}
