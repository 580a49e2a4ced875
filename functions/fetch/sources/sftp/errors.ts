// The one classifier of SFTP failures. Permanent: what retrying cannot change, a fault of the
// pipeline's configuration or of the server's setup (the host key is not the pinned one, the login is
// refused, the private key is unusable, permission is denied, a path that must exist does not).
// Transient: the network and the server's moods (connection refused, reset or timed out, DNS not
// answering, the handshake timing out, a channel that could not be opened, the connection ending under
// us); anything unknown is transient too, bounded by the stage's max attempts. Messages name the
// server and user, never a secret: the library's own text is left out where it could quote a key.
import { PermanentError, TransientError, errorMessage } from '../../../../shared/errors';

// SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7) as ssh2 gives them in `code`.
export const SFTP_STATUS = { noSuchFile: 2, permissionDenied: 3 } as const;

export interface ConnectFailure {
  // host:port, for messages.
  where: string;
  username: string;
  // ssh2's error level ('client-authentication', 'client-timeout', 'client-socket', ...), from the raw client's event.
  level: string | undefined;
  usesKey: boolean;
  // The host key the server offered when it was not the pinned one (both are public values).
  refusedKey?: string;
  pinnedKey?: string;
}

const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_NOT_CONNECTED', 'ERR_GENERIC_CLIENT',
]);

const codeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

function isStageError(error: unknown): error is Error {
  return error instanceof PermanentError || error instanceof TransientError
    || (error instanceof Error && ['PermanentError', 'TransientError', 'InvalidMessageError'].includes(error.name));
}

export function classifyConnectError(error: unknown, failure: ConnectFailure): Error {
  if (isStageError(error)) return error;
  if (failure.refusedKey !== undefined) {
    return new PermanentError(
      `SFTP server ${failure.where} offered host key ${failure.refusedKey}, but the pipeline pins ${failure.pinnedKey ?? 'another key'}; refusing to connect`,
    );
  }
  const message = errorMessage(error);
  if (failure.level === 'client-authentication' || codeOf(error) === 'ERR_BAD_AUTH' || /authentication methods failed/i.test(message)) {
    return new PermanentError(`SFTP server ${failure.where} refused the login of user "${failure.username}" (check the source's password/privateKey secret)`);
  }
  if (failure.usesKey && /parse privateKey|privateKey value|encrypted private OpenSSH key|Cannot parse/i.test(message)) {
    // The library's own text is left out: it could quote part of the key.
    return new PermanentError(`the SFTP source's privateKey secret does not hold a usable private key (unencrypted OpenSSH or PEM)`);
  }
  const kind = failure.level === 'client-timeout' || /handshake/i.test(message) ? 'the SSH handshake timed out' : message;
  return new TransientError(`cannot connect to SFTP server ${failure.where}: ${kind}`, { cause: error });
}

export interface OperationContext {
  // A missing path is permanent only where it must exist (a required export folder); a listed file
  // that vanished before it was read is transient (the next attempt lists again).
  missingIs?: 'permanent' | 'transient';
}

export function classifyOperationError(error: unknown, what: string, context: OperationContext = {}): Error {
  if (isStageError(error)) return error;
  const code = codeOf(error);
  const message = errorMessage(error);
  if (code === SFTP_STATUS.permissionDenied || code === 'EACCES' || /permission denied/i.test(message)) {
    return new PermanentError(`permission denied ${what}`);
  }
  if (code === SFTP_STATUS.noSuchFile || code === 'ENOENT' || code === 'ENOTDIR' || /no such file/i.test(message)) {
    if (context.missingIs === 'permanent') return new PermanentError(`no such path ${what}`);
    return new TransientError(`no such path ${what} (it may have been moved since it was listed)`, { cause: error });
  }
  if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) {
    return new TransientError(`failed ${what}: the connection failed (${code}): ${message}`, { cause: error });
  }
  if (/channel open failure|unable to start subsystem|timed out/i.test(message)) {
    return new TransientError(`failed ${what}: ${message}`, { cause: error });
  }
  return new TransientError(`failed ${what}: ${message}`, { cause: error });
}

// Whether a listing error means "that directory does not exist" (no export for that date).
export function isNoSuchPath(error: unknown): boolean {
  const code = codeOf(error);
  return code === SFTP_STATUS.noSuchFile || code === 'ENOENT';
}
