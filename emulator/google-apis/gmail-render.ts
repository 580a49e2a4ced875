// A stored message in the shapes messages.get answers (format minimal | metadata | full | raw),
// and the attachment ids that point back into it. Gmail's attachmentIds are opaque and differ
// between two messages.get calls for the same part; the double does the same unless told
// otherwise (GmailSettings.stableAttachmentIds), so a client that keys its ledger on them fails here.
import crypto from 'node:crypto';
import { badRequest, notFound } from './errors';
import type { GmailSettings, StoredMessage } from './gmail-state';
import { walkParts, type ParsedPart } from './mime-payload';

export type MessageFormat = 'minimal' | 'metadata' | 'full' | 'raw';

interface PartBody {
  size: number;
  data?: string;
  attachmentId?: string;
}

export interface PartJson {
  partId: string;
  mimeType: string;
  filename: string;
  headers: Array<{ name: string; value: string }>;
  body: PartBody;
  parts?: PartJson[];
}

const ATTACHMENT_ID_PREFIX = 'ANGjdJ';

export function attachmentIdFor(message: StoredMessage, partId: string, stable: boolean): string {
  const nonce = stable ? '0' : crypto.randomBytes(9).toString('base64url');
  return ATTACHMENT_ID_PREFIX + Buffer.from(JSON.stringify([message.id, partId, nonce])).toString('base64url');
}

/** The part an attachmentId names; 400 for a malformed id, 404 for one of another message. */
export function partForAttachmentId(message: StoredMessage, attachmentId: string): ParsedPart {
  let decoded: unknown;
  try {
    decoded = attachmentId.startsWith(ATTACHMENT_ID_PREFIX) ? JSON.parse(Buffer.from(attachmentId.slice(ATTACHMENT_ID_PREFIX.length), 'base64url').toString('utf8')) : undefined;
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || typeof decoded[0] !== 'string' || typeof decoded[1] !== 'string') throw badRequest('Invalid attachment token');
  if (decoded[0] !== message.id) throw notFound();
  const part = [...walkParts(message.payload)].find((p) => p.partId === decoded[1] && p.isAttachment);
  if (!part) throw notFound();
  return part;
}

function renderPart(part: ParsedPart, message: StoredMessage, settings: GmailSettings): PartJson {
  const json: PartJson = { partId: part.partId, mimeType: part.mimeType, filename: part.filename, headers: part.headers, body: { size: part.body.length } };
  if (part.parts.length > 0) {
    // A multipart has no body; an attached message (message/rfc822) shows its size, and, when it
    // is a named file, an attachmentId for the whole .eml beside its parts.
    json.body = part.isAttachment ? { attachmentId: attachmentIdFor(message, part.partId, settings.stableAttachmentIds), size: part.body.length } : { size: part.body.length };
    json.parts = part.parts.map((child) => renderPart(child, message, settings));
  } else if (part.isAttachment && part.body.length > message.inlineAttachmentMaxBytes) {
    json.body = { attachmentId: attachmentIdFor(message, part.partId, settings.stableAttachmentIds), size: part.body.length };
  } else if (part.body.length > 0) {
    json.body = { size: part.body.length, data: part.body.toString('base64url') };
  }
  return json;
}

export function renderMessage(message: StoredMessage, format: MessageFormat, settings: GmailSettings, metadataHeaders: readonly string[] = []): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: message.id,
    threadId: message.threadId,
    labelIds: [...message.labelIds],
    snippet: message.snippet,
    sizeEstimate: message.raw.length,
    historyId: String(message.historyId),
    internalDate: String(message.internalDate),
  };
  if (format === 'minimal') return base;
  if (format === 'raw') return { ...base, raw: message.raw.toString('base64url') };
  if (format === 'metadata') {
    const wanted = metadataHeaders.map((h) => h.toLowerCase());
    const headers = wanted.length ? message.payload.headers.filter((h) => wanted.includes(h.name.toLowerCase())) : message.payload.headers;
    return { ...base, payload: { partId: '', mimeType: message.payload.mimeType, filename: '', headers, body: { size: 0 } } };
  }
  return { ...base, payload: renderPart(message.payload, message, settings) };
}
