// Where a mail's attachment lands in the run: `<yyyyMMdd>/<yyyyMMdd>_<name>`, the date being the
// mail's own (its Date header, else the time Gmail received it) in the source's time zone. The name
// comes from a stranger's mail, so it is made safe for an object name here; the original is kept in
// the item's stamp. The layout's own rules (shared/object-names.ts) have the last word on length.
import { calendarDateIn, compactDate } from '../../export-dates';
import { fileLocationProblem } from '../../../../shared/object-names';

// C0/C1 controls (NUL included), DEL, and the Unicode line/paragraph separators; path separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029/\\]/g;
const FALLBACK_NAME = 'attachment';
// With the u flag a surrogate range matches only a surrogate that is not half of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

// A name with nothing a file path cannot hold: separators and control characters become "_", a lone
// surrogate U+FFFD, and a name that is empty, "." or ".." (or only dots) becomes "attachment".
export function safeFileName(name: string): string {
  const cleaned = name.replace(LONE_SURROGATE, '\uFFFD').replace(UNSAFE, '_').trim();
  if (cleaned === '' || /^\.+$/.test(cleaned)) return FALLBACK_NAME;
  return cleaned;
}

// The mail's calendar date (YYYY-MM-DD) in `timeZone`: its Date header when that parses, else
// Gmail's internalDate (epoch milliseconds, when Gmail received it).
export function mailDate(dateHeader: string | undefined, internalDate: string | null | undefined, timeZone: string): string {
  const fromHeader = dateHeader === undefined ? NaN : Date.parse(dateHeader);
  const ms = Number.isFinite(fromHeader) ? fromHeader : Number(internalDate ?? NaN);
  return calendarDateIn(timeZone, new Date(Number.isFinite(ms) ? ms : 0));
}

export interface ItemPathInput {
  pipeline: string;
  runId: string;
  // YYYY-MM-DD
  date: string;
  fileName: string;
}

// `<yyyyMMdd>/<yyyyMMdd>_<safe name>`, shortened (the stem, keeping the extension) until every
// object name the layout derives from it fits Cloud Storage's 1,024 bytes.
export function itemPath(input: ItemPathInput): string {
  const day = compactDate(input.date);
  const name = safeFileName(input.fileName);
  const pathOf = (n: string) => `${day}/${day}_${n}`;
  const fits = (n: string) => fileLocationProblem({ pipeline: input.pipeline, runId: input.runId, path: pathOf(n) }) === null;
  if (fits(name)) return pathOf(name);
  const dot = name.lastIndexOf('.');
  // An extension of a sane length is kept (import rules match on it); a "name" that is all extension is not one.
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = Array.from(extension === '' ? name : name.slice(0, dot));
  // Cut by halves, then step: a name over the limit is rare, and at worst 1,024 bytes long.
  while (stem.length > 1 && !fits(`${stem.join('')}${extension}`)) stem.length = Math.max(1, stem.length - Math.max(1, Math.floor(stem.length / 16)));
  return pathOf(`${stem.join('').trimEnd()}${extension}`);
}

// The whole message beside its attachments: `<yyyyMMdd>/<yyyyMMdd>_<message id>.eml`.
export function messagePath(date: string, messageId: string): string {
  const day = compactDate(date);
  return `${day}/${day}_${safeFileName(messageId)}.eml`;
}
