// The CSV parser and the shared row reader on plain streams: encodings, delimiters, quoting,
// normalization, rows options, malformed input.
import { Readable, Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { importRuleSchema, type ImportRule } from '../../shared/pipeline-definition';
import { MalformedFileError } from '../../functions/transform/malformed-file-error';
import { csvParser } from '../../functions/transform/parsers/csv';
import { transformFile, type TransformFileOptions } from '../../functions/transform/transform-file';

function rule(overrides: Record<string, unknown> = {}): ImportRule {
  return importRuleSchema.parse({ name: 'r', match: '.*', table: 't', ...overrides });
}

// Splits the input into small chunks so records, quotes and multi-byte characters straddle chunk edges.
function chunked(bytes: Buffer, size = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function transformCsv(source: Readable, r: ImportRule, sink: Writable, options: { maxRecordChars?: number } & TransformFileOptions = {}) {
  const parsed = await csvParser.parse({ bytes: source, head: Buffer.alloc(0), rule: r, fileName: 'x.csv', maxRecordChars: options.maxRecordChars });
  const summary = await transformFile(parsed, r, sink, options);
  return { ...summary, ...summary.facts };
}

async function run(bytes: Buffer, r: ImportRule = rule(), chunkSize?: number) {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { out += chunk.toString('utf8'); cb(); } });
  const summary = await transformCsv(chunked(bytes, chunkSize), r, sink);
  return { summary, out };
}

async function malformed(bytes: Buffer, r: ImportRule = rule()): Promise<MalformedFileError> {
  try {
    await run(bytes, r);
  } catch (error) {
    if (error instanceof MalformedFileError) return error;
    throw error;
  }
  throw new Error('expected a MalformedFileError');
}

describe('transformCsv encodings', () => {
  it('strips a UTF-8 BOM so it never reaches the first header', async () => {
    const { summary, out } = await run(Buffer.from('\uFEFFName,Qty\nCafé,1\n', 'utf8'));
    expect(summary.bom).toBe('utf-8');
    expect(summary.columns.map((c) => c.name)).toEqual(['name', 'qty']);
    expect(out).toBe('name,qty\nCafé,1\n');
  });

  it('reads UTF-16LE with a BOM even when utf-8 is declared', async () => {
    const { summary, out } = await run(iconv.encode('\uFEFFName;Note\nZoë;naïve\n', 'utf-16le'));
    expect(summary.encoding).toBe('utf-16le');
    expect(summary.delimiter).toBe(';');
    expect(out).toBe('name,note\nZoë,naïve\n');
  });

  it('decodes a declared windows-1252 file', async () => {
    const { out } = await run(iconv.encode('item,price\nCrème brûlée – large,7.50\n', 'windows-1252'), rule({ csv: { encoding: 'windows-1252' } }));
    expect(out).toBe('item,price\nCrème brûlée – large,7.50\n');
  });

  it('quarantines bytes that are not valid in the encoding, naming the row', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,ok\n2,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    const error = await malformed(bytes);
    expect(error.row).toBe(2);
    expect(error.message).toMatch(/row 2.*not valid utf-8/);
  });

  it('refuses an unknown encoding', async () => {
    const error = await malformed(Buffer.from('a\n1\n'), rule({ csv: { encoding: 'klingon-8' } }));
    expect(error.message).toMatch(/unknown encoding "klingon-8"/);
  });
});

describe('transformCsv CSV dialect', () => {
  it('detects a semicolon delimiter', async () => {
    const { summary, out } = await run(Buffer.from('id;amount;city\n1;2.5;Paris\n2;3;Lyon\n'));
    expect(summary.delimiter).toBe(';');
    expect(out).toBe('id,amount,city\n1,2.5,Paris\n2,3,Lyon\n');
  });

  it('keeps quoted delimiters, doubled quotes and newlines inside fields', async () => {
    const source = 'id,note\r\n1,"says ""hi"", then\r\nleaves"\r\n2,plain\r\n';
    const { summary, out } = await run(Buffer.from(source), rule(), 5);
    expect(summary.rows).toBe(2);
    expect(out).toBe('id,note\n1,"says ""hi"", then\r\nleaves"\n2,plain\n');
  });

  it('uses the declared delimiter and csv.columns for a file without a header', async () => {
    const { summary, out } = await run(Buffer.from('1|x\n2|y\n'), rule({ csv: { header: false, columns: ['id', 'code'], delimiter: '|' } }));
    expect(summary.columns.map((c) => c.name)).toEqual(['id', 'code']);
    expect(out).toBe('id,code\n1,x\n2,y\n');
  });

  it('trims values, writes empty as NULL and skips blank lines', async () => {
    const { summary, out } = await run(Buffer.from('a,b\n  x , \n\n"",\\.\n'));
    expect(summary.rows).toBe(2);
    // NULL is an unquoted empty field; a lone \. is quoted so COPY does not read it as end of data.
    expect(out).toBe('a,b\nx,\n,"\\."\n');
  });

  it('accepts a header-only file as zero rows', async () => {
    const { summary, out } = await run(Buffer.from('a,b\n'));
    expect(summary.rows).toBe(0);
    expect(out).toBe('a,b\n');
  });

  it('quarantines an empty file', async () => {
    expect((await malformed(Buffer.alloc(0))).message).toMatch(/empty/);
  });

  it('quarantines a ragged row with its row number', async () => {
    const error = await malformed(Buffer.from('a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n'));
    expect(error.row).toBe(3);
    expect(error.message).toBe('row 3 has 2 fields, the header has 3');
  });

  it('quarantines an unclosed quote with the row where it opens', async () => {
    const error = await malformed(Buffer.from('a,b\n1,2\n3,"never closed\n4,5\n'));
    expect(error.row).toBe(2);
    expect(error.message).toMatch(/never closed/);
  });

  it('refuses a record that grows past the limit instead of buffering the file', async () => {
    // Past the 64 KiB the parser samples up front, so the limit is what stops it, not the end of input.
    const big = 'a,b\n1,"' + 'x'.repeat(200_000) + '\n';
    let out = '';
    const sink = new Writable({ write(c, _e, cb) { out += c; cb(); } });
    await expect(transformCsv(chunked(Buffer.from(big), 4096), rule(), sink, { maxRecordChars: 100_000 })).rejects.toThrow(/runs past 100000 characters/);
    expect(out.length).toBeLessThan(100);
  });
});

describe('transformCsv header normalization and types', () => {
  it('normalizes and dedupes headers, keeping the source names', async () => {
    const { summary } = await run(Buffer.from('Order ID,OrderDate,Total (€),total,,2nd Line\n1,2024-01-02,3,4,5,6\n'));
    expect(summary.columns.map((c) => [c.name, c.sourceName])).toEqual([
      ['order_id', 'Order ID'],
      ['order_date', 'OrderDate'],
      ['total', 'Total (€)'],
      ['total_2', 'total'],
      ['column_5', ''],
      ['c_2nd_line', '2nd Line'],
    ]);
  });

  it('infers types over all rows, declared types win, and reports time ranges', async () => {
    const source = [
      'id,big,price,flag,day,at,at_utc,code,mixed,empty',
      '1,3000000000,1.5,true,2024-03-01,2024-03-01 10:00,2024-03-01T10:00:00Z,007,1,',
      '2,1,2,false,2024-02-28,2024-03-02T09:30:15.25,2024-03-01T08:00:00+01:00,12,x,',
      '3,2,-3e2,t,2024-03-05,2024-02-29,2024-03-02T00:00:00.5-05:00,13,2,',
    ].join('\n');
    const { summary } = await run(Buffer.from(source), rule({ types: { code: 'text', id: 'bigint' } }));
    expect(Object.fromEntries(summary.columns.map((c) => [c.name, c.type]))).toEqual({
      id: 'bigint', big: 'bigint', price: 'numeric', flag: 'boolean', day: 'date', at: 'timestamp', at_utc: 'timestamptz',
      code: 'text', mixed: 'text', empty: 'text',
    });
    expect(summary.timeRanges).toEqual({
      day: { min: '2024-02-28', max: '2024-03-05' },
      at: { min: '2024-02-29T00:00:00', max: '2024-03-02T09:30:15.25' },
      at_utc: { min: '2024-03-01T07:00:00.000Z', max: '2024-03-02T05:00:00.500Z' },
    });
  });

  it('leaves ambiguous formats as text', async () => {
    const { summary } = await run(Buffer.from('d,n,z\n03/04/2024,"1,234",0012\n2024-02-30,1 000,1\n'));
    expect(summary.columns.map((c) => c.type)).toEqual(['text', 'text', 'text']);
  });
});
