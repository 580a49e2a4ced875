// The items one matched mail gives a run: each attachment the rule takes, and the whole message as
// .eml when the rule says so. An item's key is the message id plus the part (Gmail's attachmentId
// changes on every messages.get; the part id and file name do not), so the fetch ledger knows an
// attachment again whichever run or delivery lists it. Sizes are known from the listing, so the caps
// are applied before anything is read.
import { Readable } from 'node:stream';
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import { printableName } from '../../../../shared/object-names';
import type { SourceItem } from '../source-connector';
import type { GmailRule } from './config';
import { itemPath, mailDate, messagePath } from './file-name';
import type { Mailbox } from './mailbox';
import { RAW_READ_MAX_BYTES, RawAttachments } from './raw-attachments';
import type { MailAttachment } from './mime-parts';
import { headerValue, numbered } from './mime-parts';

export interface MailItemsContext {
  mailbox: Mailbox;
  pipeline: string;
  runId: string;
  timeZone: string;
  maxAttachmentBytes: number;
  maxRunBytes: number;
  // Paths given so far in this run (lower-cased): two mails' "prices.xlsx" of one day must not meet.
  takenPaths: Set<string>;
  // Bytes of the items listed so far in this run that are to be read.
  runBytes: { total: number };
}

export interface MailItems {
  items: SourceItem[];
  // Keys of the items left for a later run (the run's byte cap): their mail is not labelled yet.
  deferredKeys: string[];
}

export function mailItems(ctx: MailItemsContext, message: gmail_v1.Schema$Message, rule: GmailRule, attachments: MailAttachment[]): MailItems {
  const id = message.id ?? '';
  const date = mailDate(headerValue(message.payload, 'Date'), message.internalDate, ctx.timeZone);
  const modifiedMs = Number(message.internalDate ?? NaN);
  // When Gmail received it: load orders versions of one key by this.
  const received = Number.isFinite(modifiedMs) ? { modifiedMs } : {};
  const items: SourceItem[] = [];
  const deferredKeys: string[] = [];
  // `bytes`: what the caps count; an item's `size` is only given when exact (fetch checks the copy).
  const add = (item: Omit<SourceItem, 'skip'>, bytes: number) => {
    const skip = capReason(ctx, bytes);
    if (skip === null) ctx.runBytes.total += bytes;
    else if (skip.deferred) deferredKeys.push(item.key);
    items.push(skip === null ? item : { ...item, skip: skip.reason });
  };
  // Filled once the caps have been applied: only the parts that will be read share the raw read.
  const shared: { raw: RawAttachments | null } = { raw: null };
  const toRead: MailAttachment[] = [];
  for (const attachment of attachments) {
    add({
      key: `${id}/${attachment.partId}/${attachment.originalName}`,
      version: '1',
      path: uniquePath(ctx, date, attachment.fileName),
      source: `gmail message ${id} attachment '${printableName(attachment.originalName)}'`,
      size: attachment.size,
      stamp: { 'gmail-message-id': id, 'gmail-part-id': attachment.partId, 'original-name': printableName(attachment.originalName), 'gmail-rule': rule.name },
      imports: rule.imports,
      ...received,
      open: () => openAttachment(ctx, id, attachment, shared.raw),
    }, attachment.size);
    if (items.at(-1)?.skip === undefined) toRead.push(attachment);
  }
  shared.raw = sharedRawRead(ctx, message, toRead);
  if (rule.saveMessage) {
    add({
      key: `${id}/message.eml`,
      version: '1',
      path: messagePath(date, id),
      source: `gmail message ${id} (whole message)`,
      // Gmail's sizeEstimate is an estimate: good for the caps, not for checking the copy.
      stamp: { 'gmail-message-id': id, 'gmail-rule': rule.name },
      imports: rule.imports,
      ...received,
      open: () => openRawMessage(ctx, id),
    }, message.sizeEstimate ?? 0);
  }
  return { items, deferredKeys };
}

function capReason(ctx: MailItemsContext, size: number): { reason: string; deferred: boolean } | null {
  if (size > ctx.maxAttachmentBytes) {
    return { reason: `it is ${size} bytes, over the source's maxAttachmentBytes of ${ctx.maxAttachmentBytes}`, deferred: false };
  }
  if (ctx.runBytes.total + size > ctx.maxRunBytes) {
    return { reason: `the run's files would pass the source's maxRunBytes of ${ctx.maxRunBytes}; the mail stays unlabelled and a later run takes it`, deferred: true };
  }
  return null;
}

function uniquePath(ctx: MailItemsContext, date: string, fileName: string): string {
  let path = itemPath({ pipeline: ctx.pipeline, runId: ctx.runId, date, fileName });
  for (let n = 2; ctx.takenPaths.has(path.toLowerCase()); n++) {
    path = itemPath({ pipeline: ctx.pipeline, runId: ctx.runId, date, fileName: numbered(fileName, n) });
  }
  ctx.takenPaths.add(path.toLowerCase());
  return path;
}

// Gmail answers an attachment in one JSON document (base64url), bounded by the 35 MB attachment cap;
// it is decoded once into a buffer the stream hands out.
async function openAttachment(ctx: MailItemsContext, messageId: string, attachment: MailAttachment, raw: RawAttachments | null): Promise<Readable> {
  if (attachment.data !== undefined) return bytesStream(attachment.data);
  const fromRaw = raw ? await raw.take(attachment.partId) : undefined;
  if (fromRaw !== undefined) return Readable.from(fromRaw, { objectMode: false });
  const attachmentId = attachment.attachmentId ?? '';
  const { gmail, user, calls } = ctx.mailbox;
  const response = await calls.call(`Gmail messages.attachments.get ('${printableName(attachment.originalName)}' of message ${messageId})`,
    () => gmail.users.messages.attachments.get({ userId: user, messageId, id: attachmentId }));
  return bytesStream(response.data.data ?? '');
}

// One raw read for the mail's attachments when that saves quota (two or more to read by id) and the
// mail is small enough to hold (raw-attachments.ts). `attachments`: those the run will read.
function sharedRawRead(ctx: MailItemsContext, message: gmail_v1.Schema$Message, attachments: MailAttachment[]): RawAttachments | null {
  const byId = attachments.filter((a) => a.data === undefined);
  if (byId.length < 2 || (message.sizeEstimate ?? Infinity) > RAW_READ_MAX_BYTES) return null;
  const id = message.id ?? '';
  return new RawAttachments(async () => {
    const { gmail, user, calls } = ctx.mailbox;
    const response = await calls.call(`Gmail messages.get ${id} (raw, for its attachments)`, () => gmail.users.messages.get({ userId: user, id, format: 'raw' }));
    return Buffer.from(response.data.raw ?? '', 'base64url');
  }, byId);
}

async function openRawMessage(ctx: MailItemsContext, messageId: string): Promise<Readable> {
  const { gmail, user, calls } = ctx.mailbox;
  const response = await calls.call(`Gmail messages.get ${messageId} (raw)`, () => gmail.users.messages.get({ userId: user, id: messageId, format: 'raw' }));
  return bytesStream(response.data.raw ?? '');
}

// Gmail's base64url (unpadded) as a byte stream; one chunk, not object mode.
function bytesStream(base64url: string): Readable {
  return Readable.from(Buffer.from(base64url, 'base64url'), { objectMode: false });
}
