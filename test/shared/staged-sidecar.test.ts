// Sidecar v2 describes the staged file only; load still reads a v1 sidecar staged by the release before.
import { describe, expect, it } from 'vitest';
import { readableSidecarSchema, stagedSidecarSchema } from '../../shared/staged-sidecar';

const ref = (object: string) => ({ bucket: 'b', object, generation: '1' });
const v2 = {
  v: 2, columns: [{ name: 'id', sourceName: 'ID', type: 'integer' }], rows: 1, timeRanges: {},
  raw: ref('raw/p/r/x.csv'), staged: ref('staged/p/r/x.csv.abc.csv'), rule: 'r', table: 't',
};

describe('staged sidecar', () => {
  it('v2 has no source facts', () => {
    expect(stagedSidecarSchema.parse(v2)).toEqual(v2);
    expect(stagedSidecarSchema.safeParse({ ...v2, encoding: 'utf-8' }).success).toBe(false);
  });

  it('load reads a v1 sidecar as v2, dropping its CSV facts', () => {
    expect(readableSidecarSchema.parse({ ...v2, v: 1, encoding: 'utf-8', bom: null, delimiter: ',' })).toEqual(v2);
    expect(readableSidecarSchema.safeParse({ ...v2, v: 3 }).success).toBe(false);
  });
});
