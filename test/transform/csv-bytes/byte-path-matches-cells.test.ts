// The CSV byte path against the papaparse path on generated files: for every file and rule, both
// stage the same bytes with the same summary, or both refuse the file with the same reason. The files
// mix what real exports hold (quotes, doubled quotes, line breaks in quotes, CRLF, blank lines, spaces
// to trim, non-ASCII, BOMs, every delimiter) with what broken ones do (stray and unclosed quotes, text
// after a closing quote, invalid UTF-8, NUL, ragged rows), cut into chunks of random sizes.
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importRuleSchema, type ImportRule } from '../../../shared/pipeline-definition';
import { bytePathCounts } from '../../../functions/transform/csv-bytes/stage-csv-bytes';
import { MalformedFileError } from '../../../functions/transform/malformed-file-error';
import { csvParser } from '../../../functions/transform/parsers/csv';
import { transformFile } from '../../../functions/transform/transform-file';
import { seededRandom } from '../../../emulator/seeded-random';

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

// Values as they are written in a file (already quoted or not), well-formed ones far more often.
function field(random: Random, delimiter: string, broken: boolean, rare = 0.03): string {
  const plain = ['Bob', 'Zoë', 'Émile', 'café au lait', '42', '-7', '007', '3.25', '1e5', '12345678901', '99999999999999999999', '2024-02-29',
    '2024-13-01', '2024-01-02 03:04:05', '2024-01-02T03:04:05.123+02:00', 'true', 'no', '', '', 'x\\y', '\\.', 'a"b', 'U+FFFD \uFFFD'];
  const quoted = ['"Uptown, North"', '"Airport ""T2"""', '""', '"plain"', '" padded "', '"line\nbreak"', '"crlf\r\nbreak"', `"has ${delimiter} delimiter"`,
    '"\\back"', '"12"', '"2024-01-02"'];
  const spaced = [' lead', 'trail ', '\u00a0nbsp', 'ideo\u3000', '"q" ', ' "q"', '\t tab'];
  const bad = ['"unclosed', '"text"after', '"a"b"c"', 'nul\u0000here', '\uFEFFbom', '"bad""', '"""'];
  const r = random();
  if (broken && r < rare) return pick(random, bad);
  if (r < 0.6) return pick(random, plain);
  if (r < 0.85) return pick(random, quoted);
  return pick(random, spaced);
}

interface Case {
  bytes: Buffer;
  rule: ImportRule;
  chunk: number;
}

function generate(random: Random, index: number): Case {
  const delimiter = pick(random, [',', ',', ';', '\t', '|']);
  const eol = pick(random, ['\n', '\n', '\r\n']);
  const broken = random() < 0.3;
  const long = index % 20 === 0;
  // A long file gets at least two columns: a one-column file's delimiter is a guess (see sniff).
  const width = (long ? 2 : 1) + Math.floor(random() * (long ? 4 : 5));
  const lines: string[] = [];
  if (random() < 0.2) lines.push('Title of the report', '');
  lines.push(Array.from({ length: width }, (_, i) => pick(random, ['Name', 'Qty', 'Sold At', 'Note', 'Price', 'Flag']) + i).join(delimiter));
  // One file in twenty runs past the sample both paths judge the delimiter from (64K characters), so
  // records cross the edges of the chunks read after it.
  const rows = long ? 2000 + Math.floor(random() * 2000) : Math.floor(random() * 12);
  for (let r = 0; r < rows; r++) {
    if (random() < 0.08) {
      lines.push('');
      continue;
    }
    // Broken long files break once in a while, not on nearly every row.
    const n = broken && random() < (rows > 100 ? 0.001 : 0.1) ? width + pick(random, [-1, 1]) : width;
    lines.push(Array.from({ length: Math.max(1, n) }, () => field(random, delimiter, broken, rows > 100 ? 0.0002 : 0.03)).join(delimiter));
  }
  let text = lines.join(eol) + (random() < 0.8 ? eol : '');
  if (random() < 0.1) text = '\uFEFF' + text;
  let bytes = Buffer.from(text, 'utf8');
  if (broken && random() < 0.1) {
    // An invalid byte (or a cut multi-byte character) somewhere.
    const at = Math.floor(random() * bytes.length);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick(random, [0xff, 0xc3, 0x80])]), bytes.subarray(at)]);
  }
  const options = [
    {}, {}, {},
    { rows: { header: 3 } },
    { rows: { header: { minCells: Math.min(2, width) } } },
    { rows: { stopAtEmptyRow: true } },
    { csv: { header: false, columns: Array.from({ length: width }, (_, i) => `c${i}`) } },
    { csv: { delimiter } },
    { rename: { Name0: 'who' }, types: { qty1: 'text' } },
  ];
  const rule = importRuleSchema.parse({ name: 'r', match: '.*', table: 't', ...pick(random, options) });
  const chunk = long ? pick(random, [97, 1000, 4096, 16_384, 65_536]) : pick(random, [1, 2, 3, 7, 16, 64, 100_000]) + (index % 3);
  return { bytes, rule, chunk };
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

type Outcome = { staged: string; summary: unknown } | { refused: string; row?: number };

async function outcome(c: Case, path: 'cells' | 'bytes'): Promise<Outcome> {
  let staged = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { staged += chunk.toString('latin1'); cb(); } });
  const input = { bytes: chunked(c.bytes, c.chunk), head: Buffer.alloc(0), rule: c.rule, fileName: 'x.csv' };
  try {
    const summary = path === 'bytes' ? await csvParser.stage!(input, sink, {}) : await transformFile(await csvParser.parse(input), c.rule, sink, {});
    return { staged, summary };
  } catch (error) {
    if (error instanceof MalformedFileError) return { refused: error.message, ...(error.row !== undefined ? { row: error.row } : {}) };
    throw error;
  }
}

describe('the CSV byte path', () => {
  it('stages every generated file as the papaparse path does, or refuses it for the same reason', async () => {
    // More cases, or another seed, for a longer local run: SLUICE_CSV_CASES=30000 SLUICE_CSV_SEED=7.
    const random = seededRandom(Number(process.env.SLUICE_CSV_SEED ?? 20261201));
    const before = { ...bytePathCounts };
    let refused = 0;
    for (let i = 0; i < Number(process.env.SLUICE_CSV_CASES ?? 3000); i++) {
      const c = generate(random, i);
      const cells = await outcome(c, "cells");
      const bytes = await outcome(c, 'bytes');
      if ('refused' in cells) refused++;
      if (JSON.stringify(bytes) !== JSON.stringify(cells)) {
        if (process.env.DEBUG_CSV) console.log(JSON.stringify({ file: c.bytes.toString('latin1'), chunk: c.chunk, rule: { csv: c.rule.csv, rows: c.rule.rows }, cells, bytes }));
        expect({ file: c.bytes.toString('latin1'), rule: { csv: c.rule.csv, rows: c.rule.rows }, chunk: c.chunk, bytes }).toEqual({
          file: c.bytes.toString('latin1'), rule: { csv: c.rule.csv, rows: c.rule.rows }, chunk: c.chunk, bytes: cells,
        });
      }
    }
    // The cases cover both: well-formed files the byte path staged itself, broken ones it handed over.
    expect(bytePathCounts.staged - before.staged).toBeGreaterThan(1500);
    expect(bytePathCounts.handedOver - before.handedOver).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});

describe('the CSV byte path and a declared delimiter outside , ; tab |', () => {
  it('leaves the file to the papaparse path (a character UTF-8 writes in two bytes splits there alone)', async () => {
    const rule = importRuleSchema.parse({ name: 'r', match: '.*', table: 't', csv: { delimiter: '§' } });
    const c = { bytes: Buffer.from('a§b\nx§ÿ\n', 'utf8'), rule, chunk: 3 };
    const before = bytePathCounts.fromStart;
    const bytes = await outcome(c, 'bytes');
    expect(bytePathCounts.fromStart).toBe(before + 1);
    expect(bytes).toEqual(await outcome(c, 'cells'));
    expect((bytes as { staged: string }).staged).toBe(Buffer.from('a,b\nx,ÿ\n', 'utf8').toString('latin1'));
  });
});
