// The CLI's exit codes (the list) and the one error type that carries one: everything the
// CLI refuses or the API answers with an error ends as a CliError, printed as `sluice: <message>`.
import type { ErrorCode } from '../functions/ops/api-schemas';

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, auth: 4, cancelled: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: ExitCode = EXIT.failed) {
    super(message);
  }
}

// The API's stable error codes → exit codes: scripts can tell "no such run" from "not allowed".
const byApiCode: Record<ErrorCode, ExitCode> = {
  'not-found': EXIT.notFound,
  unauthenticated: EXIT.auth,
  forbidden: EXIT.auth,
  'invalid-request': EXIT.usage,
  conflict: EXIT.failed,
  unavailable: EXIT.failed,
  internal: EXIT.failed,
};
export const exitCodeOfApiError = (code: ErrorCode): ExitCode => byApiCode[code];

// How a watched run ended, as an exit code: `sluice trigger --wait && next-step` only goes on when
// the run did its job. no-new-data is a success (nothing was new); partial is a failure (some files
// did not make it); paused means the pipeline was paused and the run never ran.
export function exitCodeOfRunStatus(status: string): ExitCode {
  switch (status) {
    case 'succeeded':
    case 'no-new-data':
      return EXIT.ok;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}
