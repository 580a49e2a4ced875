// bench/options.ts: what `npm run bench` runs for the arguments npm passes it.
import { describe, expect, it } from 'vitest';
import { FULL, PARTS, QUICK, parseArgs } from '../../bench/options';

describe('bench options', () => {
  it('runs every part at full size by default', () => {
    const o = parseArgs([]);
    expect(o.parts).toEqual([...PARTS]);
    expect(o).toMatchObject({ quick: false, rows: FULL.rows, bigRows: FULL.bigRows, modeRows: FULL.modeRows, xlsxRows: FULL.xlsxRows, demoRuns: FULL.demoRuns });
  });

  it('--quick: small sizes for every part, bundles left out', () => {
    const o = parseArgs(['--quick']);
    expect(o.parts).toEqual(PARTS.filter((p) => p !== 'bundles'));
    expect(o).toMatchObject({ quick: true, ...QUICK });
    expect(o.bigRows).toBeLessThan(FULL.rows);
  });

  it('explicit sizes and parts win over --quick', () => {
    const o = parseArgs(['--quick', '--rows', '5000', '--parts', 'xlsx,modes', '--xlsx-rows', '300']);
    expect(o).toMatchObject({ rows: 5000, bigRows: QUICK.bigRows, xlsxRows: 300, parts: ['xlsx', 'modes'] });
  });

  it('refuses options npm kept for itself (npm run bench --quick, without --)', () => {
    expect(() => parseArgs([], { npm_config_quick: 'true' })).toThrow(/npm took --quick as its own option; pass the bench's options after "--"/);
  });

  it('refuses unknown options, parts and bad numbers, naming them', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(['--parts', 'throughput,nope'])).toThrow(/not: nope/);
    expect(() => parseArgs(['--rows', '0'])).toThrow(/--rows needs a positive whole number/);
    expect(() => parseArgs(['--rows', '200', '--big-rows', '100'])).toThrow(/must be more than --rows/);
  });
});
