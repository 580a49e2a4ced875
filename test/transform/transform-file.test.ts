// The CSV parser and the shared row reader on plain streams: encodings, delimiters, quoting,
// normalization, rows options, malformed input.
import { Readable, Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { importRuleSchema, type ImportRule } from '../../shared/pipeline-definition';
import { MalformedFileError } from '../../functions/transform/malformed-file-error';
import { csvParser } from '../../functions/transform/parsers/csv';
import { SourceRowError, type Cell, type ParsedFile } from '../../functions/transform/parsers/file-parser';
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

// Every CSV case runs on both paths: the cells (papaparse) and the byte path (csvParser.stage, which
// takes the byte path for the files it reads and hands the others, or their malformed rest, over).
let csvPath: 'cells' | 'bytes' = 'cells';

async function transformCsv(source: Readable, r: ImportRule, sink: Writable, options: { maxRecordChars?: number } & TransformFileOptions = {}) {
  const input = { bytes: source, head: Buffer.alloc(0), rule: r, fileName: 'x.csv', maxRecordChars: options.maxRecordChars };
  const summary = csvPath === 'bytes'
    ? await csvParser.stage!(input, sink, options)
    : await transformFile(await csvParser.parse(input), r, sink, options);
  return { ...summary, ...summary.facts };
}

async function run(bytes: Buffer, r: ImportRule = rule(), chunkSize?: number) {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { out += chunk.toString('utf8'); cb(); } });
  const summary = await transformCsv(chunked(bytes, chunkSize), r, sink);
  return { summary, out };
}

async function malformed(bytes: Buffer, r: ImportRule = rule()): Promise<MalformedFileError> {
  return malformedWith(bytes, r);
}

async function malformedWith(bytes: Buffer, r: ImportRule = rule(), chunkSize?: number): Promise<MalformedFileError> {
  try {
    await run(bytes, r, chunkSize);
  } catch (error) {
    if (error instanceof MalformedFileError) return error;
    throw error;
  }
  throw new Error('expected a MalformedFileError');
}

describe.each(['cells', 'bytes'] as const)('the %s path', (path) => {
  beforeAll(() => { csvPath = path; });

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

  describe('transformFile encodings and invalid bytes', () => {
    const body = 'id;name\n1;Zoë\n2;Ærø €\n';

    it('reads UTF-8 without a BOM, UTF-16LE and UTF-16BE with one, windows-1252 and latin1 declared', async () => {
      const cases: Array<{ bytes: Buffer; csv?: Record<string, unknown>; encoding: string; bom: string | null }> = [
        { bytes: Buffer.from(body, 'utf8'), encoding: 'utf-8', bom: null },
        { bytes: Buffer.from('\uFEFF' + body, 'utf8'), encoding: 'utf-8', bom: 'utf-8' },
        { bytes: iconv.encode('\uFEFF' + body, 'utf-16le'), encoding: 'utf-16le', bom: 'utf-16le' },
        { bytes: iconv.encode('\uFEFF' + body, 'utf-16be'), encoding: 'utf-16be', bom: 'utf-16be' },
        { bytes: iconv.encode(body, 'windows-1252'), csv: { encoding: 'windows-1252' }, encoding: 'windows-1252', bom: null },
      ];
      for (const c of cases) {
        const { summary, out } = await run(c.bytes, rule({ csv: c.csv ?? {} }), 3);
        expect(out).toBe('id,name\n1,Zoë\n2,Ærø €\n');
        expect(summary.facts).toMatchObject({ format: 'csv', encoding: c.encoding, bom: c.bom, delimiter: ';' });
      }
      // ISO-8859-1 has no €; every byte is a character there (0x80 is a C1 control).
      const { out } = await run(Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0xc6, 0x72, 0xf8, 0x80]), Buffer.from('\n')]), rule({ csv: { encoding: 'latin1' } }));
      expect(out).toBe('id,name\n1,Ærø\u0080\n');
    });

    it('keeps a valid U+FFFD as data', async () => {
      const { out, summary } = await run(Buffer.from('id,name\n1,a\uFFFDb\n2,\uFFFD\n', 'utf8'), rule(), 2);
      expect(out).toBe('id,name\n1,a\uFFFDb\n2,\uFFFD\n');
      expect(summary.rows).toBe(2);
    });

    it('names the row and column of an invalid UTF-8 byte, wherever the chunks are cut', async () => {
      const bytes = Buffer.concat([Buffer.from('id,name,city\n1,Zoë,Paris\n2,Ana,"Lyon\nsud"\n3,Bob,Besan'), Buffer.from([0xe7]), Buffer.from('on\n4,x,y\n')]);
      for (const size of [1, 2, 3, 5, 64 * 1024]) {
        const error = await malformedWith(bytes, rule(), size);
        expect(error.message).toBe('row 3, column "city": bytes that are not valid utf-8');
        expect(error.row).toBe(3);
      }
    });

    it('names the row of an invalid UTF-16 sequence (a lone surrogate)', async () => {
      const good = iconv.encode('\uFEFFid,name\n1,a\n2,', 'utf-16le');
      const lone = Buffer.from([0x00, 0xdc]); // a low surrogate with no high one before it
      const error = await malformedWith(Buffer.concat([good, lone, iconv.encode('\n', 'utf-16le')]), rule(), 3);
      expect(error.message).toBe('row 2, column "name": bytes that are not valid utf-16le');
    });

    it('names the row of a byte windows-1252 does not define', async () => {
      const bytes = Buffer.concat([Buffer.from('id,name\n1,ok\n2,ok\n3,a'), Buffer.from([0x81]), Buffer.from('\n')]);
      const error = await malformedWith(bytes, rule({ csv: { encoding: 'windows-1252' } }), 4);
      expect(error.message).toBe('row 3, column "name": bytes that are not valid windows-1252');
    });

    it('says when the invalid byte is in the header', async () => {
      const error = await malformedWith(Buffer.concat([Buffer.from('id,n'), Buffer.from([0xff]), Buffer.from('\n1,2\n')]), rule());
      expect(error.message).toBe('the header row has bytes that are not valid utf-8');
    });
  });

  describe('transformFile delimiters', () => {
    for (const [name, delimiter] of [['comma', ','], ['semicolon', ';'], ['tab', '\t'], ['pipe', '|']] as const) {
      it(`detects and honours a declared ${name}`, async () => {
        const source = ['id', 'note', 'qty'].join(delimiter) + '\n' + ['1', '"a, b; c|d"', '2'].join(delimiter) + '\n';
        for (const r of [rule(), rule({ csv: { delimiter } })]) {
          const { out, summary } = await run(Buffer.from(source), r);
          expect(out).toBe('id,note,qty\n1,"a, b; c|d",2\n');
          expect(summary.facts.delimiter).toBe(delimiter);
        }
      });
    }
  });

  describe('transformFile delimiter detection around title and notes lines', () => {
    it('takes the delimiter found on most lines when field counts disagree', async () => {
      const { out, summary } = await run(Buffer.from('Stock report\nid\tqty\n1\t2\n\nprinted by ERP\n'), rule({ rows: { header: 2, stopAtEmptyRow: true } }));
      expect(summary.facts.delimiter).toBe('\t');
      expect(out).toBe('id,qty\n1,2\n');
    });
  });

  describe('transformFile rows options', () => {
    const titled = ['Supplier price list', 'Week 12,,', '', 'Item,Price,Qty', 'A-1,1.50,3', 'A-2,2.00,4', '', 'Total,,7', 'printed 2024-03-01', ''].join('\n');

    it('takes the header by row number, skips a totals row, and numbers rows in the source', async () => {
      const { out, summary } = await run(Buffer.from(titled), rule({ rows: { header: 4, skipFooter: 2 } }));
      expect(out).toBe('item,price,qty\nA-1,1.50,3\nA-2,2.00,4\n');
      expect(summary.facts).toMatchObject({ headerRow: 4, footerRows: 2 });
      const error = await malformedWith(Buffer.from(titled.replace('A-2,2.00,4', 'A-2,2.00')), rule({ rows: { header: 4, skipFooter: 2 } }));
      expect(error.message).toBe('row 2 (source row 6) has 2 fields, the header has 3');
      expect(error.row).toBe(2);
    });

    it('takes the first row with at least minCells non-empty cells as the header', async () => {
      const { out } = await run(Buffer.from(titled), rule({ rows: { header: { minCells: 3 }, skipFooter: 2 }, rename: { Item: 'item_code', price: 'unit_price' } }));
      expect(out.split('\n')[0]).toBe('item_code,unit_price,qty');
    });

    it('stops at the first empty row', async () => {
      const { out, summary } = await run(Buffer.from(titled), rule({ rows: { header: { minCells: 3 }, stopAtEmptyRow: true } }));
      expect(out).toBe('item,price,qty\nA-1,1.50,3\nA-2,2.00,4\n');
      expect(summary.facts.endedAtRow).toBe(7);
    });

    it('skipFooter holds back only the last rows (a look-ahead, not a buffer of the file)', async () => {
      const rows = Array.from({ length: 5000 }, (_, i) => `${i},x`);
      const { out, summary } = await run(Buffer.from(['id,v', ...rows, 'Total,5000'].join('\n') + '\n'), rule({ rows: { skipFooter: 1 } }), 4096);
      expect(summary.rows).toBe(5000);
      expect(out.endsWith('4999,x\n')).toBe(true);
    });

    it('refuses a header row number past the end, or no row with enough cells', async () => {
      expect((await malformedWith(Buffer.from('a,b\n1,2\n'), rule({ rows: { header: 9 } }))).message).toBe('the file has 2 rows; rows.header says the header is row 9');
      expect((await malformedWith(Buffer.from('a,b\n1,2\n'), rule({ rows: { header: { minCells: 3 } } }))).message).toMatch(/no row has at least 3 non-empty cells/);
    });

    it('refuses renames that give two columns one name, and notes renames that matched nothing', async () => {
      expect((await malformedWith(Buffer.from('a,b\n1,2\n'), rule({ rename: { a: 'b' } }))).message).toBe('columns "a" and "b" would both be named "b" (rule.rename): rename one of them');
      const { summary } = await run(Buffer.from('a,b\n1,2\n'), rule({ rename: { Missing: 'x' } }));
      expect(summary.facts.notes).toEqual(['rename "Missing" matched no column']);
    });
  });

  describe('transformFile values and types', () => {
    it('rewrites decimal-comma numbers when declared, and never text', async () => {
      const source = 'id;amount;note\n1;1.234,56;v1.2\n2;-0,5;01.02.2024\n3;12;"a,b"\n4;1 234;x 1,5\n';
      const { out, summary } = await run(Buffer.from(source), rule({ csv: { decimal: ',' } }));
      expect(out).toBe('id,amount,note\n1,1234.56,v1.2\n2,-0.5,01.02.2024\n3,12,"a,b"\n4,1234,"x 1,5"\n');
      expect(summary.columns.map((c) => c.type)).toEqual(['integer', 'numeric', 'text']);
      // Without the declaration nothing is rewritten.
      expect((await run(Buffer.from(source), rule())).out).toContain('1.234,56');
    });

    it('widens a column whose values widen mid-file: integer, then a decimal, then text', async () => {
      const rows = Array.from({ length: 3000 }, (_, i) => `${i},${i}`);
      const source = ['id,v', ...rows, '3000,2.5', ...rows.map((r) => r.replace(/^/, '9')), '4,n/a'].join('\n');
      const { summary } = await run(Buffer.from(source), rule(), 1024);
      expect(summary.columns.map((c) => c.type)).toEqual(['integer', 'text']);
      const upToDecimal = (await run(Buffer.from(['id,v', ...rows, '3000,2.5'].join('\n')), rule(), 1024)).summary;
      expect(upToDecimal.columns.map((c) => c.type)).toEqual(['integer', 'numeric']);
    });

    it('applies declared types by the renamed name', async () => {
      const { summary } = await run(Buffer.from('Code,Qty\n007,1\n'), rule({ rename: { Code: 'item_code' }, types: { item_code: 'text', qty: 'numeric' } }));
      expect(summary.columns).toEqual([
        { name: 'item_code', sourceName: 'Code', type: 'text' },
        { name: 'qty', sourceName: 'Qty', type: 'numeric' },
      ]);
    });
  });
});

describe('transformFile with a workbook-like parser (cells already typed, widths loose)', () => {
  // A parser stand-in: rows exactly as given, numbered from `firstRow`, optionally failing at a row.
  function parsedOf(rows: Cell[][], options: { firstRow?: number; failAt?: SourceRowError; batch?: number } = {}): ParsedFile {
    const size = options.batch ?? 2;
    return {
      batches: (async function* () {
        for (let i = 0; i < rows.length; i += size) yield { rows: rows.slice(i, i + size), firstRow: (options.firstRow ?? 1) + i };
        if (options.failAt) throw options.failAt;
      })(),
      facts: () => ({ format: 'xlsx', sheet: 'Prices', hiddenRows: 1 }),
    };
  }

  async function stage(parsed: ParsedFile, r: ImportRule = rule()) {
    let out = '';
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { out += chunk.toString('utf8'); cb(); } });
    const summary = await transformFile(parsed, r, sink, { detected: 'an XLSX workbook named .xls' });
    return { summary, out };
  }

  it('pads short rows with NULLs, drops empty cells past the header, skips blank rows', async () => {
    const { out, summary } = await stage(parsedOf([
      ['Price list', null, null, null],
      [null, null, null, null],
      ['Item', 'Price', null, null],
      ['A-1', '1.5', null, null],
      ['A-2'],
      [],
      [null, '  '],
      ['A-3', '3', null, null, null],
    ]), rule({ rows: { header: 3 } }));
    expect(out).toBe('item,price\nA-1,1.5\nA-2,\nA-3,3\n');
    expect(summary.facts).toEqual({ format: 'xlsx', sheet: 'Prices', hiddenRows: 1, detected: 'an XLSX workbook named .xls', headerRow: 3 });
  });

  it('refuses a value past the header, naming the source row', async () => {
    const error = await stage(parsedOf([['Item', 'Price'], ['A-1', '1'], ['A-2', '2', 'stray']])).catch((e: unknown) => e as MalformedFileError);
    expect((error as MalformedFileError).message).toBe('row 2 has a value in column 3, past the header\'s 2 columns');
  });

  it('turns a parser\'s SourceRowError into the row and column the user counts', async () => {
    const failAt = new SourceRowError('a cell the reader cannot decode', 7, 1);
    const error = await stage(parsedOf([['t'], [null], ['Item', 'Price'], ['A', '1']], { failAt, firstRow: 3 }), rule({ rows: { header: 5 } })).catch((e: unknown) => e as MalformedFileError);
    expect((error as MalformedFileError).message).toBe('row 2 (source row 7), column "Price": a cell the reader cannot decode');
    expect((error as MalformedFileError).row).toBe(2);
  });
});
