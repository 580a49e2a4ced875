// One CSV record read straight from UTF-8 bytes: where each field's value lies and what the staged
// CSV must do with it, without a string per field. Reads as papaparse's parser does with the
// settings parse-csv-stream.ts gives it (quote '"', escape '""', records split at LF, a closing quote
// followed by whitespace then the delimiter or LF), for well-formed records. Anything papaparse would
// report or recover from (a quote with text after it, a quote never closed) is not read here: the
// scan answers ANOMALY and the caller hands that record, and the rest of the file, to the papaparse
// path, which says what is wrong exactly as it always has (test/transform/csv-bytes/ compares both
// paths on generated files, malformed ones included).

export const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

// Field flags.
// The field was quoted: start..end is the text between its quotes (doubled quotes still doubled).
export const QUOTED = 1;
// A doubled quote inside a quoted field: its value differs from its bytes.
export const ESCAPED = 2;
// The value holds a byte the staged CSV must quote (" , \ CR LF): written as the source quoted it,
// or through formatCsvField.
export const SPECIAL = 4;
// The value's first or last byte is a space, a control or not ASCII: trim() may change it.
export const EDGE = 8;

// Results of scanRecord besides the position after the record.
export const NEED_MORE = -1;
export const ANOMALY = -2;

export class RecordFields {
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  flags = new Uint8Array(64);

  grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const flags = new Uint8Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    flags.set(this.flags);
    this.starts = starts;
    this.ends = ends;
    this.flags = flags;
  }
}

// Byte classes: STOP ends an unquoted field (the delimiter, LF); NEEDS_QUOTES is a byte the staged
// CSV (',' delimited) must quote. The delimiter is one of , ; tab | (what the sniffer detects or a
// rule declares, one character: parse-csv-stream.ts).
const STOP = 1;
const NEEDS_QUOTES = 2;

export function byteClasses(delimiter: number): Uint8Array {
  const classes = new Uint8Array(256);
  for (const byte of [QUOTE, 0x2c, 0x5c, CR, LF]) classes[byte] = NEEDS_QUOTES;
  classes[delimiter] = (classes[delimiter] as number) | STOP;
  classes[LF] = (classes[LF] as number) | STOP;
  return classes;
}

const isEdgeByte = (byte: number) => byte <= 0x20 || byte >= 0x7f;

// Whether bytes[start..end) is all whitespace as String.prototype.trim sees it (what papaparse allows
// between a closing quote and the delimiter). Only ASCII whitespace is judged here; a byte outside
// ASCII answers false, so the record goes to papaparse, which decides.
function onlyAsciiSpace(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte !== 0x20 && (byte < 0x09 || byte > 0x0d)) return false;
  }
  return true;
}

// Reads the record at `pos` of bytes[0..end) into `fields`. `final`: no bytes follow `end`. Returns
// the position after the record (after its LF; `end` for a last record without one), NEED_MORE when
// the record may go on past `end`, or ANOMALY. Call it only with pos < end.
export function scanRecord(bytes: Buffer, pos: number, end: number, final: boolean, delimiter: number, classes: Uint8Array, fields: RecordFields): number {
  // The arrays in locals, written without a call per field (re-read when they grow).
  let starts = fields.starts;
  let ends = fields.ends;
  let flagsOf = fields.flags;
  let n = 0;
  let i = pos;
  for (;;) {
    if (n === starts.length) {
      fields.count = n;
      fields.grow();
      starts = fields.starts;
      ends = fields.ends;
      flagsOf = fields.flags;
    }
    if (i < end && bytes[i] === QUOTE) {
      const start = i + 1;
      let flags = QUOTED;
      // The closing quote: the first one not doubled. A loop rather than Buffer#indexOf: fields are
      // short, and the native call costs more than the bytes it skips; the same pass notes the bytes
      // the staged CSV must quote.
      let close = start;
      for (;;) {
        while (close < end) {
          const byte = bytes[close] as number;
          if (byte === QUOTE) break;
          if (((classes[byte] as number) & NEEDS_QUOTES) !== 0) flags |= SPECIAL;
          close++;
        }
        if (close >= end) return final ? ANOMALY : NEED_MORE;
        if (close === end - 1) {
          if (!final) return NEED_MORE;
          break;
        }
        if (bytes[close + 1] === QUOTE) {
          flags |= ESCAPED | SPECIAL;
          close += 2;
          continue;
        }
        break;
      }
      if (close > start && (isEdgeByte(bytes[start] as number) || isEdgeByte(bytes[close - 1] as number))) flags |= EDGE;
      starts[n] = start;
      ends[n] = close;
      flagsOf[n] = flags;
      fields.count = ++n;
      if (close === end - 1) return end;
      // After the closing quote: optional whitespace, then the delimiter or LF.
      let after = close + 1;
      while (after < end && bytes[after] !== delimiter && bytes[after] !== LF) after++;
      if (after === end) return final ? ANOMALY : NEED_MORE;
      if (after > close + 1 && !onlyAsciiSpace(bytes, close + 1, after)) return ANOMALY;
      i = after + 1;
      if (bytes[after] === LF) return i;
      continue;
    }
    // An unquoted field: up to the delimiter or LF.
    const start = i;
    let special = -1;
    while (i < end) {
      const c = classes[bytes[i] as number] as number;
      if (c !== 0) {
        if ((c & STOP) !== 0) break;
        if (special < 0) special = i;
      }
      i++;
    }
    if (i === end && !final) return NEED_MORE;
    let fieldEnd = i;
    // The CR of a CRLF line break (records are split at LF): trimmed off the value, as trim() would.
    if (fieldEnd > start && bytes[fieldEnd - 1] === CR) {
      fieldEnd--;
      if (special === fieldEnd) special = -1;
    }
    let flags = special >= 0 ? SPECIAL : 0;
    if (fieldEnd > start && (isEdgeByte(bytes[start] as number) || isEdgeByte(bytes[fieldEnd - 1] as number))) flags |= EDGE;
    starts[n] = start;
    ends[n] = fieldEnd;
    flagsOf[n] = flags;
    fields.count = ++n;
    if (i === end) return end;
    i++;
    if (bytes[i - 1] === LF) return i;
  }
}
