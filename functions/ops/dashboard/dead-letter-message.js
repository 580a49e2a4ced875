// A kept dead letter's original message, as a replay would publish it: its attributes and its data,
// shown as UTF-8 text when it is printable text (JSON pretty-printed), else as the base64 the API
// gave with its size. Read inside a <details>, so the list stays one line per letter.
import { h } from './dom.js';

function bytesOf(base64) {
  try {
    const binary = atob(base64);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

// Text when the bytes are valid UTF-8 without control characters other than tab and line breaks.
export function printableText(base64) {
  const bytes = bytesOf(base64);
  if (!bytes) return undefined;
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function messageDetails(letter, { open = false } = {}) {
  const { data, attributes, messageId, publishTime } = letter.message;
  const entries = Object.entries(attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = printableText(data);
  const size = bytesOf(data)?.length ?? 0;
  return h('details', { className: 'letter-message', open, dataset: { letterId: letter.id } },
    h('summary', {}, 'Original message', h('span', { className: 'visually-hidden' }, ` of ${letter.id}`)),
    h('dl', { className: 'facts' },
      h('div', {}, h('dt', {}, 'Letter'), h('dd', { className: 'file-name' }, h('a', { href: `#/dead-letters/${encodeURIComponent(letter.id)}`, title: 'A link to this letter alone' }, letter.id))),
      messageId ? h('div', {}, h('dt', {}, 'Message id'), h('dd', {}, messageId)) : '',
      publishTime ? h('div', {}, h('dt', {}, 'Published'), h('dd', {}, publishTime)) : ''),
    entries.length
      ? h('table', { className: 'attributes' },
        h('caption', {}, `Attributes (${entries.length})`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))),
        h('tbody', {}, entries.map(([name, value]) => h('tr', {}, h('th', { scope: 'row', className: 'file-name' }, name), h('td', { className: 'reason' }, value)))))
      : h('p', { className: 'muted' }, 'No attributes.'),
    h('p', { className: 'muted' }, text === undefined ? `Data (${size} bytes, not text; base64):` : `Data (${size} bytes, UTF-8 text):`),
    h('pre', { className: 'message-data' }, text ?? data));
}
