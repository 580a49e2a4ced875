// The one place an SMTP (nodemailer) failure is sorted into what it means for a message, after RFC 5321:
//  - a 5yz reply is a permanent refusal (bad sender, recipient, policy) — except 552, which §4.5.3.1.10
//    says clients SHOULD treat as temporary (it is also sent for "too many recipients", like 452);
//  - a 4yz reply is temporary (greylisting, mailbox busy, server shutting down);
//  - an authentication failure without a 4yz reply (EAUTH: 535 credentials rejected, or none to send)
//    is permanent: the secret is wrong and retrying will not fix it; a bad envelope (EENVELOPE) too;
//  - a server that could not be reached or dropped us (ECONNECTION, ETIMEDOUT, ESOCKET, ECONNREFUSED…)
//    is transient, and so is anything unknown, bounded by the subscription's max delivery attempts.
// The message names the code and the SMTP command only, never the server's text (which may echo an
// address or the user name) nor the URL.
import { PermanentError, TransientError } from '../../shared/errors';

export type SmtpErrorKind = 'permanent' | 'transient';

const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE']);

export function classifySmtpError(error: unknown): SmtpErrorKind {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; responseCode?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return 'transient';
  if (responseCode === 552) return 'transient';
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600) return 'permanent';
  if (typeof e.code === 'string' && PERMANENT_CODES.has(e.code)) return 'permanent';
  return 'transient';
}

export function describeSmtpFailure(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'unknown';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' ? ` during ${e.command.split(' ')[0]}` : '';
  const what = `SMTP send failed (${code}${responseCode !== undefined ? ` ${responseCode}` : ''}${command})`;
  return classifySmtpError(error) === 'permanent' ? new PermanentError(what) : new TransientError(what);
}
