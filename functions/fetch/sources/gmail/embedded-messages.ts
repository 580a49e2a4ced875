// Attachments inside forwarded messages Gmail hands over whole (a message/rfc822 part as one body,
// not expanded into parts): the bytes are read (inline, or one attachments.get) and parsed with
// mailparser, recursing into messages forwarded inside those. Each attachment found becomes an
// ordinary MailAttachment with its bytes inline and a part id stable for the message
// ("1:2" = the second attachment, in order, of Gmail's part 1), so its item key is the same on every listing.
import { simpleParser } from 'mailparser';
import type { EmbeddedMessage, MailAttachment } from './mime-parts';

// A forward of a forward of a forward...: deeper than this is not a vendor's mail.
const MAX_DEPTH = 5;

export async function attachmentsInEmbedded(embedded: EmbeddedMessage, read: (embedded: EmbeddedMessage) => Promise<Buffer>): Promise<MailAttachment[]> {
  return attachmentsInBytes(await read(embedded), embedded.partId, 1);
}

async function attachmentsInBytes(bytes: Buffer, partId: string, depth: number): Promise<MailAttachment[]> {
  const parsed = await simpleParser(bytes, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const found: MailAttachment[] = [];
  for (const [index, attachment] of parsed.attachments.entries()) {
    const nestedId = `${partId}:${index + 1}`;
    if (attachment.contentType.toLowerCase() === 'message/rfc822') {
      if (depth < MAX_DEPTH) found.push(...(await attachmentsInBytes(attachment.content, nestedId, depth + 1)));
      continue;
    }
    const name = attachment.filename?.trim() ?? '';
    // An inline image without a name (a signature logo) is not an attachment, as in the outer mail.
    if (name === '') continue;
    found.push({
      partId: nestedId,
      fileName: name,
      originalName: name,
      mimeType: attachment.contentType.toLowerCase(),
      size: attachment.content.length,
      data: attachment.content.toString('base64url'),
    });
  }
  return found;
}
