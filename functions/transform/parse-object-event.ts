// A Cloud Storage notification (Pub/Sub, payloadFormat JSON_API_V1) → the raw object it announces,
// or the reason to ignore it. The attributes are authoritative; the JSON body is read only for size.
import { InvalidMessageError } from '../../shared/errors';
import type { ObjectRef } from '../../shared/messages';
import { parseObjectName, type FileLocation } from '../../shared/object-names';

export interface RawObjectEvent {
  raw: ObjectRef;
  location: FileLocation;
  // Object size in bytes when the payload says (decides resumable vs single-request uploads).
  size?: number;
}

export type ObjectEventOutcome = { kind: 'raw'; event: RawObjectEvent } | { kind: 'ignore'; reason: string };

function required(attributes: Record<string, string>, key: string): string {
  const value = attributes[key];
  if (value === undefined || value === '') throw new InvalidMessageError(`storage notification is missing attribute "${key}"`);
  return value;
}

function sizeFrom(data: Buffer): number | undefined {
  if (data.length === 0) return undefined;
  try {
    const resource = JSON.parse(data.toString('utf8')) as { size?: unknown };
    const size = Number(resource.size);
    return Number.isFinite(size) && size >= 0 ? size : undefined;
  } catch {
    return undefined; // the body is informational; a bad one does not make the event unusable
  }
}

export function parseObjectEvent(attributes: Record<string, string>, data: Buffer, pipeline: string): ObjectEventOutcome {
  const eventType = required(attributes, 'eventType');
  const bucket = required(attributes, 'bucketId');
  const object = required(attributes, 'objectId');
  const generation = required(attributes, 'objectGeneration');
  if (!/^\d+$/.test(generation)) throw new InvalidMessageError(`storage notification has a bad objectGeneration "${generation}"`);
  const format = attributes.payloadFormat;
  if (format !== undefined && format !== 'JSON_API_V1' && format !== 'NONE') {
    throw new InvalidMessageError(`storage notification has an unknown payloadFormat "${format}"`);
  }
  if (eventType !== 'OBJECT_FINALIZE') return { kind: 'ignore', reason: `event ${eventType} is not OBJECT_FINALIZE` };
  const location = parseObjectName(object);
  if (!location || location.area !== 'raw' || location.pipeline !== pipeline) {
    return { kind: 'ignore', reason: `object ${object} is not under raw/${pipeline}/` };
  }
  return {
    kind: 'raw',
    event: {
      raw: { bucket, object, generation },
      location: { pipeline: location.pipeline, runId: location.runId, path: location.path },
      size: format === 'NONE' ? undefined : sizeFrom(data),
    },
  };
}
