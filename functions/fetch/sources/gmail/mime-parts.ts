// The attachments of a Gmail message, from its `payload` tree (messages.get format=full). Real mail
// nests: multipart/mixed inside multipart/alternative, a forwarded message/rfc822 carrying its own
// attachments, the same file name twice. An attachment is a leaf part with a file name; its bytes are
// inline (`body.data`) or fetched by `body.attachmentId`. The MIME type is not trusted: spreadsheets
// often arrive as application/octet-stream, so import rules decide by name. An inline image without
// a file name (a signature logo) is not an attachment.
import type { gmail_v1 } from 'googleapis';
import libmime from 'libmime';

type Part = gmail_v1.Schema$MessagePart;

export interface MailAttachment {
  // Gmail's part id ("1", "0.2", "1.0.1"): stable for a message, unlike the attachmentId, which
  // differs on every messages.get.
  partId: string;
  // The decoded file name, made unique within the message ("prices (2).xlsx" for the second).
  fileName: string;
  // The decoded name exactly as the message gives it.
  originalName: string;
  mimeType: string;
  // Bytes of the decoded content, as Gmail reports it.
  size: number;
  attachmentId?: string;
  // base64url content, when Gmail inlined it.
  data?: string;
}

export function headerValue(part: Part | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part?.headers?.find((h) => h.name?.toLowerCase() === lower)?.value ?? undefined;
}

// A forwarded message Gmail did not expand (a message/rfc822 leaf): its own attachments are inside
// its bytes, which embedded-messages.ts reads and parses.
export interface EmbeddedMessage {
  partId: string;
  size: number;
  attachmentId?: string;
  data?: string;
}

export interface MailParts {
  attachments: MailAttachment[];
  embedded: EmbeddedMessage[];
}

// The attachments of a payload (names not yet unique: withUniqueNames once all are known).
export function mailPartsOf(payload: Part | undefined): MailParts {
  const found: MailAttachment[] = [];
  const embedded: EmbeddedMessage[] = [];
  const visit = (part: Part, index: number, parentId: string) => {
    const partId = part.partId ?? (parentId === '' ? String(index) : `${parentId}.${index}`);
    const children = part.parts ?? [];
    if (children.length > 0) {
      // A container (multipart/*, or a message/rfc822 Gmail expanded): its attachments are its leaves.
      children.forEach((child, i) => visit(child, i, partId));
      return;
    }
    const body = part.body ?? {};
    if (!body.attachmentId && body.data == null) return;
    if ((part.mimeType ?? '').toLowerCase() === 'message/rfc822') {
      embedded.push({ partId, size: body.size ?? 0, ...(body.attachmentId ? { attachmentId: body.attachmentId } : { data: body.data ?? '' }) });
      return;
    }
    const originalName = fileNameOf(part);
    if (originalName === '') return;
    found.push({
      partId,
      fileName: originalName,
      originalName,
      mimeType: (part.mimeType ?? 'application/octet-stream').toLowerCase(),
      size: body.size ?? 0,
      ...(body.attachmentId ? { attachmentId: body.attachmentId } : {}),
      ...(body.data != null && !body.attachmentId ? { data: body.data } : {}),
    });
  };
  if (payload) visit(payload, 0, '');
  return { attachments: found, embedded };
}

// The attachments Gmail's tree shows directly (forwarded messages it did not expand aside).
export function attachmentsOf(payload: Part | undefined): MailAttachment[] {
  return withUniqueNames(mailPartsOf(payload).attachments);
}

// The part's file name, decoded: from its own headers when it has them (RFC 2231 `filename*=` with
// a charset and continuations, RFC 2047 words), else Gmail's `filename`, decoded if still encoded.
export function fileNameOf(part: Part): string {
  for (const [header, param] of [['Content-Disposition', 'filename'], ['Content-Type', 'name']] as const) {
    const value = headerValue(part, header);
    if (value === undefined) continue;
    try {
      const name = libmime.parseHeaderValue(value).params[param];
      if (name !== undefined && name.trim() !== '') return decodeIfEncoded(name).trim();
    } catch {
      // A header libmime cannot parse: Gmail's own `filename` below still stands.
    }
  }
  return decodeIfEncoded(part.filename ?? '').trim();
}

function decodeIfEncoded(name: string): string {
  if (!name.includes('=?')) return name;
  try {
    return libmime.decodeWords(name);
  } catch {
    return name;
  }
}

// The second "prices.xlsx" of a message becomes "prices (2).xlsx", the third "prices (3).xlsx", in
// part order, so every delivery names them alike. Compared case-insensitively: object names are
// case-sensitive, but the people and tools reading them often are not.
export function withUniqueNames<T extends { fileName: string }>(items: T[]): T[] {
  const taken = new Set<string>();
  return items.map((item) => {
    let name = item.fileName;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = numbered(item.fileName, n);
    taken.add(name.toLowerCase());
    return name === item.fileName ? item : { ...item, fileName: name };
  });
}

export function numbered(fileName: string, n: number): string {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return `${fileName} (${n})`;
  return `${fileName.slice(0, dot)} (${n})${fileName.slice(dot)}`;
}
