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
      if (lines.has(l)) found.set(l, record);
    }
    return found.size === lines.size;
  });
  return found;
}

// Every data record in file order, until `visit` returns true.
export async function scanRecords(source: Readable, visit: (record: StagedRecord) => boolean | void): Promise<void> {
  const decoder = new StringDecoder('utf8');
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
    if (row > 0 && visit({ row, firstLine, lastLine: line, values })) stop = true;
    row++;
    values = [];
  };

  const consume = (text: string): boolean => {
    for (let i = 0; i < text.length; i++) {
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
