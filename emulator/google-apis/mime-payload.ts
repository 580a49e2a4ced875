// An .eml parsed into the tree Gmail's messages.get shows as `payload`: every MIME node a part
// with partId ("" for the top, "0", "0.1", ...), mimeType, decoded filename (RFC 2047/2231),
// headers (unfolded, encoded words decoded) and the decoded body bytes of leaves. A forwarded
// message/rfc822 part carries the inner message's top part as its only child, as Gmail shows it.
import { mailsplit, libmime, type SplitterData, type SplitterNode } from './mime-libs';

export interface ParsedPart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: Array<{ name: string; value: string }>;
  /** Decoded (transfer encoding undone) bytes; empty for multiparts; the inner message for message/rfc822. */
  body: Buffer;
  /** A file, not a text body: has a file name or an attachment disposition. */
  isAttachment: boolean;
  charset?: string;
  parts: ParsedPart[];
}

interface Collected {
  node: SplitterNode;
  chunks: Buffer[];
  children: Collected[];
}

function headersOf(node: SplitterNode): ParsedPart['headers'] {
  return node.headers.getList().map(({ line }) => {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    const raw = line.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '').trim();
    let value = raw;
    try {
      value = libmime.decodeWords(raw);
    } catch {
      // A malformed encoded word stays as sent, as Gmail shows it.
    }
    return { name, value };
  });
}

async function decode(node: SplitterNode, chunks: Buffer[]): Promise<Buffer> {
  const decoder = node.getDecoder();
  const out: Buffer[] = [];
  decoder.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    decoder.once('end', resolve);
    decoder.once('error', reject);
  });
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  await done;
  return Buffer.concat(out);
}

async function toPart(item: Collected, partId: string): Promise<ParsedPart> {
  const { node } = item;
  const mimeType = (node.contentType || 'text/plain').toLowerCase();
  const filename = node.filename || '';
  const leaf = !node.multipart && item.children.length === 0;
  const parts: ParsedPart[] = [];
  for (const [index, child] of item.children.entries()) parts.push(await toPart(child, partId === '' ? String(index) : `${partId}.${index}`));
  const body = leaf ? await decode(node, item.chunks) : Buffer.alloc(0);
  // An attached message, whatever its disposition: its own tree is the container's one child.
  if (mimeType === 'message/rfc822' && body.length > 0) parts.push(await parseTree(body, partId === '' ? '0' : `${partId}.0`));
  return {
    partId,
    mimeType,
    filename,
    headers: headersOf(node),
    body,
    isAttachment: leaf && (filename !== '' || (node.disposition === 'attachment' && mimeType !== 'message/rfc822')),
    charset: node.charset || undefined,
    parts,
  };
}

export function parseMessage(raw: Buffer): Promise<ParsedPart> {
  return parseTree(raw, '');
}

async function parseTree(raw: Buffer, rootPartId: string): Promise<ParsedPart> {
  // Embedded messages are parsed by recursion (above), the same way at every depth.
  const splitter = new mailsplit.Splitter({ ignoreEmbedded: true });
  const byNode = new Map<SplitterNode, Collected>();
  let root: Collected | undefined;
  let current: Collected | undefined;
  splitter.on('data', (data: SplitterData) => {
    if (data.type === 'node') {
      current = { node: data, chunks: [], children: [] };
      byNode.set(data, current);
      const parent = data.parentNode ? byNode.get(data.parentNode) : undefined;
      if (parent) parent.children.push(current);
      else root ??= current;
    } else if (data.type === 'body' && current) {
      current.chunks.push(data.value);
    }
  });
  await new Promise<void>((resolve, reject) => {
    splitter.once('end', resolve);
    splitter.once('error', reject);
    splitter.end(raw);
  });
  if (!root) throw new Error('not a MIME message: no header block');
  return toPart(root, rootPartId);
}

/** Depth-first, the order Gmail lists parts in. */
export function* walkParts(part: ParsedPart): Generator<ParsedPart> {
  yield part;
  for (const child of part.parts) yield* walkParts(child);
}

export function headerOf(part: ParsedPart, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part.headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

export function textOf(part: ParsedPart): string {
  const label = (part.charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(label).decode(part.body);
  } catch {
    return part.body.toString('latin1');
  }
}
