// Expands an archive raw object (.gz, a .zip that is no workbook) into raw objects of its own members,
// in the same run. Each member's bucket notification then starts transform as for any fetched file,
// so rules (by the member's own name), the load ledger, supersede and the run's end are the same.
//
// Three steps, each safe to repeat on a redelivered event:
//  1. inspect: the archive is judged whole — its directory, then every member inflated and counted
//     without being kept — so a refused archive (zip bomb, encrypted or unsafe member, nested archive,
//     no files) is quarantined with nothing of it expanded;
//  2. record: the archive's file ends as 'expanded' and its members join the run's files to end, in
//     one transaction, before any member exists (so no member can end the run before it is counted);
//  3. write: each member is uploaded create-only, then the archive moves to the archive area.
// The cost of judging before writing is that every member is inflated twice.
import { IMPORT_RULES_METADATA_KEY } from '../match-import-rule';
import type { FileMetadata } from '@google-cloud/storage';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransientError } from '../../../shared/errors';
import type { Logger } from '../../../shared/logger';
import type { FileLocation } from '../../../shared/object-names';
import { archiveMemberPath, baseName, fileKeyOf, fileLocationProblem, objectName, printableName } from '../../../shared/object-names';
import { isArchiveMember, memberSourceMetadata, rawObjectIdentity, sourceIdentityOf } from '../../../shared/source-identity';
import { asStageError, isNotFound } from '../../../shared/storage-errors';
import type { ObjectRef } from '../../../shared/messages';
import type { StageContext } from '../../runtime/context';
import { copyOnce } from '../../runtime/copy-once';
import { settleQuarantinedFile } from '../../runtime/settle-moved-file';
import { deleteObject } from '../../load/archive';
import { MalformedFileError } from '../malformed-file-error';
import { archiveLimitsOf, type ArchiveLimits } from './archive-limits';
import { archiveKindOf, readHead } from './detect-archive';
import { ExpansionMeter } from './expansion-meter';
import { openGzipArchive } from './gzip-archive';
import type { OpenedArchive } from './opened-archive';
import { writeMember } from './write-member';
import { openZipArchive } from './zip-archive';

export interface ArchiveEvent {
  raw: ObjectRef;
  location: FileLocation;
}

// The archive-area copy says how many members it expanded into (so a redelivery after the move knows).
const EXPANDED_MEMBERS_KEY = 'sluiceExpandedMembers';

const isMalformed = (error: unknown) => error instanceof MalformedFileError || (error instanceof Error && error.name === 'MalformedFileError');

// True when the raw object was an archive and this call dealt with it (expanded, quarantined, or found
// done by an earlier delivery); false for any other file, which transform goes on to read.
export async function expandIfArchive(ctx: StageContext, event: ArchiveEvent, log: Logger): Promise<boolean> {
  const { raw, location } = event;
  const { runId } = location;
  const fileKey = fileKeyOf(location.path);
  const bucket = ctx.storage.bucket(raw.bucket);
  const file = bucket.file(raw.object, { generation: Number(raw.generation) });
  let metadata: FileMetadata;
  try {
    [metadata] = await file.getMetadata();
  } catch (error) {
    if (isNotFound(error)) return settleGoneArchive(ctx, event, fileKey, log);
    throw asStageError(error, `reading gs://${raw.bucket}/${raw.object}`);
  }
  const size = Number(metadata.size);
  const kind = archiveKindOf(await readHead(file, size).catch((error: unknown) => { throw asStageError(error, `reading gs://${raw.bucket}/${raw.object}`); }));
  if (!kind) return false;

  const archiveName = printableName(baseName(location.path));
  const limits = archiveLimitsOf(ctx.pipeline);
  let archive: OpenedArchive | undefined;
  // Once the run counts the members, the archive is theirs: nothing may quarantine it any more.
  let recorded = false;
  try {
    const opened = kind === 'gzip' ? openGzipArchive(file, size, location.path) : await openZipArchive(file, size, limits);
    if (opened === 'workbook') return false;
    archive = opened;
    if (isArchiveMember(metadata.metadata)) {
      throw new MalformedFileError(`it is a ${kind} archive inside the archive ${printableName(String(metadata.metadata?.sluiceArchiveObject))}; archives are expanded one level only`);
    }
    const members = archive.members.map((member) => {
      const path = archiveMemberPath(location.path, member.path);
      const problem = fileLocationProblem({ ...location, path });
      if (problem) throw new MalformedFileError(`member "${printableName(member.path)}" cannot be a file of the run: ${problem}`);
      return { member, path, fileKey: fileKeyOf(path) };
    });

    const sizes = await inspect(archive, size, limits);
    const custom = (metadata.metadata ?? {}) as Record<string, string>;
    const identity = sourceIdentityOf(custom) ?? rawObjectIdentity(raw);
    await ctx.runs.stageSucceeded(runId, fileKey, 'transform', { details: { archive: kind, members: members.map((m) => m.path) } });
    await ctx.runs.expandFile(runId, fileKey, members.map((m) => ({ fileKey: m.fileKey, name: m.path })));
    recorded = true;

    const meter = new ExpansionMeter(limits, size);
    let created = 0;
    for (const [index, { member, path }] of members.entries()) {
      const written = await writeMember({
        bucket,
        objectName: objectName('raw', { ...location, path }),
        bytes: sizes[index] ?? 0,
        metadata: { ...inheritedFromSource(custom), ...memberSourceMetadata(identity, raw, member.path, runId) },
        open: () => member.open(),
        meter: meter.member(member.path, member.compressedBytes),
      });
      if (written === 'created') created += 1;
    }
    await moveToArchiveArea(ctx, event, { ...custom, [EXPANDED_MEMBERS_KEY]: String(members.length) });
    log.info('archive expanded', { archive: kind, members: members.length, created, expandedBytes: sizes.reduce((a, b) => a + b, 0), compressedBytes: size });
    return true;
  } catch (error) {
    if (!isMalformed(error)) throw archive?.storageError() ?? error;
    // The same generation read twice gave other bytes: retried (bounded by max attempts), never
    // quarantined under members the run already counts.
    if (recorded) throw new TransientError(`expanding ${archiveName} again failed after its members were recorded: ${(error as Error).message}`, { cause: error });
    const reason = `${archiveName}: ${(error as Error).message}; nothing of the archive was expanded`;
    log.warn('archive refused', { reason });
    await ctx.quarantine({ runId, fileKey, object: raw, reason });
    return true;
  } finally {
    await archive?.close();
  }
}

// Step 1: every member inflated and counted, nothing kept. Returns each member's inflated size.
async function inspect(archive: OpenedArchive, archiveBytes: number, limits: ArchiveLimits): Promise<number[]> {
  const meter = new ExpansionMeter(limits, archiveBytes);
  const sizes: number[] = [];
  for (const member of archive.members) {
    const before = meter.total;
    try {
      await pipeline(await member.open(), meter.member(member.path, member.compressedBytes), discard());
    } catch (error) {
      if (isMalformed(error) || archive.storageError()) throw error;
      // zlib's "invalid block type", yauzl's "too many bytes in the stream" (more than its header
      // declared), a truncated member...
      throw new MalformedFileError(`member "${printableName(member.path)}" cannot be inflated: ${(error as Error).message}`);
    }
    sizes.push(meter.total - before);
  }
  return sizes;
}

const discard = () => new Writable({ write(_chunk, _encoding, callback) { callback(); } });

// Step 3's end: the archive is kept in the archive area (as a loaded file is), then its raw object goes.
async function moveToArchiveArea(ctx: StageContext, event: ArchiveEvent, metadata: Record<string, string>): Promise<void> {
  const bucket = ctx.storage.bucket(event.raw.bucket);
  const source = bucket.file(event.raw.object, { generation: Number(event.raw.generation) });
  try {
    await copyOnce(source, bucket.file(objectName('archive', event.location)), { metadata });
  } catch (error) {
    if (!isNotFound(error)) throw asStageError(error, `archiving gs://${event.raw.bucket}/${event.raw.object}`);
  }
  await deleteObject(bucket, event.raw.object, event.raw.generation);
}

// The raw object is gone: an earlier delivery expanded the archive (and moved it) or quarantined it,
// and may have died before saying so everywhere. Both endings are idempotent, so finish them.
async function settleGoneArchive(ctx: StageContext, event: ArchiveEvent, fileKey: string, log: Logger): Promise<boolean> {
  try {
    const [archived] = await ctx.storage.bucket(event.raw.bucket).file(objectName('archive', event.location)).getMetadata();
    if (archived.metadata?.[EXPANDED_MEMBERS_KEY] !== undefined) {
      log.info('archive already expanded by an earlier delivery', { members: archived.metadata[EXPANDED_MEMBERS_KEY] });
      return true;
    }
  } catch (error) {
    if (!isNotFound(error)) throw asStageError(error, 'reading the archive area');
  }
  if ((await settleQuarantinedFile(ctx, event.location.runId, fileKey, event.location)) === 'quarantine-settled') {
    log.info('archive already quarantined by an earlier delivery');
    return true;
  }
  return false;
}

// What a member keeps of its archive's source metadata: the import rules the source let it feed
// (a restricted archive must not hand its members to any rule) and the connector's own facts
// (sluice-src-*: original name, message id).
function inheritedFromSource(custom: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(custom).filter(([key]) => key === IMPORT_RULES_METADATA_KEY || key.startsWith('sluice-src-')));
}
