// The SMTP error classifier after RFC 5321: pure function, no servers.
import { describe, expect, it } from 'vitest';
import { classifySmtpError, describeSmtpFailure } from '../../functions/notify/smtp-errors';
import { PermanentError, TransientError } from '../../shared/errors';

const smtpError = (code: string, responseCode?: number, command?: string) =>
  Object.assign(new Error(`server said something with user@example.com`), { code, ...(responseCode !== undefined ? { responseCode } : {}), ...(command ? { command } : {}) });

describe('classifySmtpError', () => {
  it('treats 5yz refusals and authentication failures as permanent', () => {
    expect(classifySmtpError(smtpError('EENVELOPE', 550, 'RCPT TO'))).toBe('permanent');
    expect(classifySmtpError(smtpError('EMESSAGE', 554, 'DATA'))).toBe('permanent');
    expect(classifySmtpError(smtpError('EAUTH', 535, 'AUTH PLAIN'))).toBe('permanent');
    expect(classifySmtpError(smtpError('EAUTH'))).toBe('permanent');
  });

  it('treats 4yz, 552 and unreachable servers as transient', () => {
    expect(classifySmtpError(smtpError('EENVELOPE', 451, 'RCPT TO'))).toBe('transient');
    expect(classifySmtpError(smtpError('EAUTH', 454, 'AUTH PLAIN'))).toBe('transient');
    expect(classifySmtpError(smtpError('EMESSAGE', 552, 'DATA'))).toBe('transient');
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'EDNS', 'ECONNRESET']) expect(classifySmtpError(smtpError(code)), code).toBe('transient');
    expect(classifySmtpError(new Error('odd'))).toBe('transient');
    expect(classifySmtpError(undefined)).toBe('transient');
  });
});

describe('describeSmtpFailure', () => {
  it('names the code and command, never the server text', () => {
    const error = describeSmtpFailure(smtpError('EENVELOPE', 550, 'RCPT TO:<user@example.com>'));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('SMTP send failed (EENVELOPE 550 during RCPT)');
    expect(describeSmtpFailure(smtpError('ECONNREFUSED'))).toBeInstanceOf(TransientError);
  });
});
