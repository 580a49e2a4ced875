// Which of a parent's files a rerun redoes, and the run ids the controls give.
import { describe, expect, it } from 'vitest';
import { operatorRunId } from '../../../functions/ops/controls/run-ids';
import { selectRerunFiles } from '../../../functions/ops/controls/rerun-selection';
import type { FileRecord } from '../../../functions/runtime/run-record';

const file = (name: string, status: FileRecord['status'], members?: string[]): FileRecord => ({ fileKey: `k-${name}`, name, status, stages: {}, ...(members ? { members } : {}) });

describe('rerun selection', () => {
  const files = [
    file('a.csv', 'loaded'), file('b.csv', 'quarantined'), file('c.csv', 'failed'), file('d.csv', 'skipped'),
    file('e.csv', 'cancelled'), file('f.csv', 'superseded'),
    file('x.zip', 'expanded', ['x.zip/1.csv', 'x.zip/2.csv']), file('x.zip/1.csv', 'loaded'), file('x.zip/2.csv', 'quarantined'),
  ];

  it("'failed' takes the files that did not get through, an archive for its member, never a skipped file", () => {
    expect(selectRerunFiles(files, 'failed').map((f) => f.name).sort()).toEqual(['b.csv', 'c.csv', 'e.csv', 'x.zip']);
  });

  it("'all' takes every file the parent had of its own, archives instead of their members", () => {
    expect(selectRerunFiles(files, 'all').map((f) => f.name).sort()).toEqual(['a.csv', 'b.csv', 'c.csv', 'e.csv', 'f.csv', 'x.zip']);
  });
});

describe('operator run ids', () => {
  it('say their kind and time, and differ', () => {
    const now = new Date('2026-12-01T16:05:09.120Z');
    const a = operatorRunId('manual', now);
    expect(a).toMatch(/^manual-20261201160509-[a-z0-9]{6}$/);
    expect(operatorRunId('rerun', now)).toMatch(/^rerun-20261201160509-[a-z0-9]{6}$/);
    expect(new Set(Array.from({ length: 50 }, () => operatorRunId('manual', now))).size).toBe(50);
  });
});
