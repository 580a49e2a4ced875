// Quota: an attachments.get costs 5 units, and so does one messages.get format=raw holding every
// attachment of the mail. So a mail with two or more attachments to read, small enough to hold in
// memory at once, is read whole, once, and its attachments are served from it. Each raw attachment
// is matched to Gmail's part by decoded name and exact size (Gmail's body.size is the decoded size);
// a part it cannot match is read by its attachmentId as usual. The parsed bytes are dropped once
// every part was served (fetch opens a mail's items one after another).
import { simpleParser } from 'mailparser';
import type { MailAttachment } from './mime-parts';

// Above this (Gmail's sizeEstimate of the whole mail) each attachment is read on its own, so the
// function never holds more than about this much of one mail (plus its base64 form) at once.
export const RAW_READ_MAX_BYTES = 8 * 1024 * 1024;

export class RawAttachments {
  private loaded: Promise<Map<string, Buffer>> | null = null;
  private readonly waiting: Set<string>;

  constructor(private readonly readRaw: () => Promise<Buffer>, private readonly parts: readonly MailAttachment[]) {
    this.waiting = new Set(parts.map((p) => p.partId));
  }

  // The part's bytes from the whole mail, or undefined when the mail does not show it the same way.
  async take(partId: string): Promise<Buffer | undefined> {
    this.loaded ??= this.load();
    const loading = this.loaded;
    let bytes: Map<string, Buffer>;
    try {
      bytes = await loading;
    } catch (error) {
      if (this.loaded === loading) this.loaded = null;
      throw error;
    }
    this.waiting.delete(partId);
    if (this.waiting.size === 0) this.loaded = null;
    return bytes.get(partId);
  }

  private async load(): Promise<Map<string, Buffer>> {
    const parsed = await simpleParser(await this.readRaw(), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    const used = new Set<number>();
    const bytes = new Map<string, Buffer>();
    for (const part of this.parts) {
      const index = parsed.attachments.findIndex((a, i) => !used.has(i) && (a.filename ?? '').trim() === part.originalName && a.content.length === part.size);
      if (index < 0) continue;
      used.add(index);
      bytes.set(part.partId, parsed.attachments[index]!.content);
    }
    return bytes;
  }
}
