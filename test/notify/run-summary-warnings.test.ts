// Unit tests: what the source did not deliver is said in every report's run summary.
import { describe, expect, it } from 'vitest';
import { summarizeRun, summaryHtml, summaryText } from '../../functions/notify/run-summary';
import type { RunRecord } from '../../functions/runtime/run-record';

const run = (warnings?: string[]): RunRecord => ({
  runId: 'r1', pipeline: 'p', trigger: 'schedule', messageId: 'm', dates: ['2026-03-01'], status: 'no-new-data',
  createdAt: '2026-03-02T06:00:00Z', updatedAt: '2026-03-02T06:00:02Z', expectedFiles: 0, endedFiles: 0,
  counts: { loaded: 0, skipped: 0, superseded: 0, quarantined: 0, failed: 0, expanded: 0, cancelled: 0 }, stages: {},
  ...(warnings ? { warnings } : {}),
});

describe('run summary warnings', () => {
  it('shows each warning in the text and the HTML, escaped', () => {
    const summary = summarizeRun(run(['no export for 2026-03-01: the directory /x/<20260301>/ does not exist on the SFTP server']), []);
    expect(summaryText(summary)).toContain('Warning: no export for 2026-03-01: the directory /x/<20260301>/ does not exist');
    expect(summaryHtml(summary)).toContain('<li>no export for 2026-03-01: the directory /x/&lt;20260301&gt;/ does not exist on the SFTP server</li>');
  });

  it('says nothing when the source delivered', () => {
    expect(summaryText(summarizeRun(run(), []))).not.toContain('Warning');
  });
});
