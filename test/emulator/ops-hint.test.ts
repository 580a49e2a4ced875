// What npm start / npm run emulator print about the ops surface: the signed-in dashboard URL, the CLI,
// and the command that runs each of the user's own pipelines now.
import { describe, expect, it } from 'vitest';
import { opsHintLines } from '../../emulator/ops-hint';

describe('ops hint', () => {
  it('names the dashboard URL with the token, the ops file and each own pipeline with its trigger command', () => {
    const lines = opsHintLines(
      { dashboardSignIn: 'http://127.0.0.1:5000/ui/#token=t0k', url: 'http://127.0.0.1:5000', opsFile: '/repo/.sluice/ops.json' },
      [{ name: 'my-pos', schedule: { cron: '0 6 * * *', timeZone: 'UTC', payload: {} } as never }, { name: 'adhoc', schedule: undefined }],
    );
    expect(lines).toEqual([
      'dashboard: http://127.0.0.1:5000/ui/#token=t0k',
      'ops API: http://127.0.0.1:5000 (dev token and URL in /repo/.sluice/ops.json; the CLI reads them): npx sluice status, npx sluice runs list',
      'your pipeline "my-pos": on "0 6 * * *" (UTC); run it now: npx sluice trigger my-pos',
      'your pipeline "adhoc": no schedule; run it now: npx sluice trigger adhoc',
    ]);
  });
});
