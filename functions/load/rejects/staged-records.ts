// Reads the staged CSV again, record by record, with each one's data row number, physical line span
// and values. Only the staged dialect is read (format-csv-line.ts: ',' and '"', '\n'
// line ends, NULL unquoted-empty, "" an empty string), which no CSV library reports the way this needs:
// each record's physical line span (COPY's line numbers) and quoted-empty apart from unquoted-empty.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface StagedRecord {
  // 1-based data row (the header is row 0).
  row: number;
  firstLine: number;
  lastLine: number;
  values: Array<string | null>;
}

// The records that contain the wanted lines, by line; stops reading once every one was found.
export async function recordsAtLines(source: Readable, lines: ReadonlySet<number>): Promise<Map<number, StagedRecord>> {
  const found = new Map<number, StagedRecord>();
  if (lines.size === 0) {
    source.destroy();
    return found;
  }
  await scanRecords(source, (record) => {
    for (let l = record.firstLine; l <= record.lastLine; l++) {
      if (lines.has(l)) found.set(l, { row: record.row, firstLine: record.firstLine, lastLine: record.lastLine, values: record.values() });
    }
    return found.size === lines.size;
  });
  return found;
}

// One record as the scan passes it: valid during the visit only (the scan reuses it, so reading a large
// file allocates nothing for the records nobody asks for); values() splits the record on demand.
export interface RecordCursor {
  row: number;
  firstLine: number;
  lastLine: number;
  values(): Array<string | null>;
}

class Cursor implements RecordCursor {
  row = 0;
  firstLine = 0;
  lastLine = 0;
  parsed: Array<string | null> | undefined;
  text = '';
  start = 0;
  end = 0;
  values(): Array<string | null> {
    // A one-line record without quotes: a plain split, '' being NULL.
    this.parsed ??= this.text.slice(this.start, this.end).replace(/\r/g, '').split(',').map((v) => (v === '' ? null : v));
    return this.parsed;
  }
}

// Every data record in file order, until `visit` returns true.
export async function scanRecords(source: Readable, visit: (record: RecordCursor) => boolean | void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const cursor = new Cursor();
  const at = (r: number, first: number, last: number): Cursor => {
    cursor.row = r;
    cursor.firstLine = first;
    cursor.lastLine = last;
    cursor.parsed = undefined;
    return cursor;
  };
  let line = 1;
  let firstLine = 1;
  let row = 0;
  let values: Array<string | null> = [];
  let field = '';
  let quoted = false;
  // 0: outside quotes; 1: inside quotes; 2: a quote seen inside quotes (closing, or the first of "").
  let state = 0;

  const endField = () => {
    values.push(quoted || field !== '' ? field : null);
    field = '';
    quoted = false;
  };
  let stop = false;
  const endRecord = () => {
    endField();
    if (row > 0) {
      const record = at(row, firstLine, line);
      record.parsed = values;
      if (visit(record)) stop = true;
    }
    row++;
    values = [];
  };

  const consume = (text: string): boolean => {
    // The next quote at or after i (text.length: none), searched again only once passed.
    let quote = -1;
    for (let i = 0; i < text.length; i++) {
      // Fast path, most records: one whole line without quotes in this chunk is split only if asked for.
      if (state === 0 && field === '' && !quoted && values.length === 0) {
        const end = text.indexOf('\n', i);
        if (quote < i) {
          quote = text.indexOf('"', i);
          if (quote === -1) quote = text.length;
        }
        if (end !== -1 && quote > end) {
          if (row > 0) {
            const record = at(row, line, line);
            record.text = text;
            record.start = i;
            record.end = end;
            if (visit(record)) return true;
          }
          row++;
          line++;
          firstLine = line;
          i = end;
          continue;
        }
      }
      const c = text[i] as string;
      if (state === 2) {
        if (c === '"') {
          field += '"';
          state = 1;
          continue;
        }
        state = 0;
      }
      if (state === 1) {
        if (c === '"') state = 2;
        else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === '"') {
        state = 1;
        quoted = true;
      } else if (c === ',') endField();
      else if (c === '\n') {
        endRecord();
        if (stop) return true;
        line++;
        firstLine = line;
      } else if (c !== '\r') field += c;
    }
    return false;
  };

  try {
    for await (const chunk of source) {
      if (consume(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer))) return;
    }
    if (consume(decoder.end())) return;
    if (field !== '' || quoted || values.length > 0) endRecord();
  } finally {
    source.destroy();
  }
}
