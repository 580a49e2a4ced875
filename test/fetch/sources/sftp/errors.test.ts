// One fate per SFTP failure, from the shapes ssh2 and ssh2-sftp-client give them.
import { describe, expect, it } from 'vitest';
import { classifyConnectError, classifyOperationError } from '../../../../functions/fetch/sources/sftp/errors';
import { PermanentError, TransientError } from '../../../../shared/errors';

const failure = { where: 'sftp.vendor.example:22', username: 'vendor', level: undefined, usesKey: false };
const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('classifyConnectError', () => {
  it('a host key other than the pinned one is permanent and names both keys', () => {
    const error = classifyConnectError(err('connect: Host denied (verification failed)'), { ...failure, refusedKey: 'SHA256:offered', pinnedKey: 'SHA256:pinned' });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('SFTP server sftp.vendor.example:22 offered host key SHA256:offered, but the pipeline pins SHA256:pinned; refusing to connect');
  });

  it.each([
    ['ssh2 level client-authentication', err('connect: All configured authentication methods failed'), 'client-authentication'],
    ['the message alone', err('connect: All configured authentication methods failed'), undefined],
    ['ERR_BAD_AUTH', err('connect: bad auth', { code: 'ERR_BAD_AUTH' }), undefined],
  ])('a refused login is permanent (%s)', (_label, error, level) => {
    const classified = classifyConnectError(error, { ...failure, level });
    expect(classified).toBeInstanceOf(PermanentError);
    expect(classified.message).toMatch(/refused the login of user "vendor"/);
  });

  it('an unusable private key is permanent without quoting the library (which could quote the key)', () => {
    const classified = classifyConnectError(err('Cannot parse privateKey: Unsupported key format -----BEGIN'), { ...failure, usesKey: true });
    expect(classified).toBeInstanceOf(PermanentError);
    expect(classified.message).not.toContain('BEGIN');
  });

  it.each([
    ['connection refused', err('connect ECONNREFUSED 127.0.0.1:22', { code: 'ECONNREFUSED' }), undefined],
    ['connection reset', err('read ECONNRESET', { code: 'ECONNRESET' }), 'client-socket'],
    ['a TCP timeout', err('connect ETIMEDOUT', { code: 'ETIMEDOUT' }), 'client-socket'],
    ['a handshake timeout', err('connect: Timed out while waiting for handshake', { code: 'ERR_GENERIC_CLIENT' }), 'client-timeout'],
    ['DNS not answering', err('getaddrinfo EAI_AGAIN sftp.vendor.example', { code: 'EAI_AGAIN' }), undefined],
    ['an unknown error', err('something odd'), undefined],
  ])('%s is transient', (_label, error, level) => {
    expect(classifyConnectError(error, { ...failure, level })).toBeInstanceOf(TransientError);
  });

  it('the handshake timeout says so', () => {
    expect(classifyConnectError(err('Timed out while waiting for handshake'), { ...failure, level: 'client-timeout' }).message).toMatch(/SSH handshake timed out/);
  });
});

describe('classifyOperationError', () => {
  it.each([
    ['SFTP status 3', err('list: Permission denied /exports', { code: 3 })],
    ['EACCES', err('_list: Permission denied', { code: 'EACCES' })],
  ])('permission denied is permanent (%s)', (_label, error) => {
    const classified = classifyOperationError(error, 'listing /exports on h:22');
    expect(classified).toBeInstanceOf(PermanentError);
    expect(classified.message).toBe('permission denied listing /exports on h:22');
  });

  it('no such path is permanent where it must exist, transient otherwise', () => {
    const missing = err('No such file', { code: 2 });
    expect(classifyOperationError(missing, 'listing /exports', { missingIs: 'permanent' })).toBeInstanceOf(PermanentError);
    expect(classifyOperationError(missing, 'reading /exports/a.csv')).toBeInstanceOf(TransientError);
    expect(classifyOperationError(err('x', { code: 'ENOENT' }), 'listing /exports', { missingIs: 'permanent' })).toBeInstanceOf(PermanentError);
  });

  it.each([
    ['a channel open failure', err('(SSH) Channel open failure: open failed')],
    ['the connection ending', err('list: Unexpected end event', { code: 'ERR_GENERIC_CLIENT' })],
    ['no connection', err('list: No SFTP connection available', { code: 'ERR_NOT_CONNECTED' })],
    ['a reset', err('read ECONNRESET', { code: 'ECONNRESET' })],
    ['an unknown error', err('odd')],
  ])('%s is transient', (_label, error) => {
    expect(classifyOperationError(error, 'reading /a.csv')).toBeInstanceOf(TransientError);
  });

  it('passes the stage error kinds through, by name too', () => {
    const transient = new TransientError('short read');
    expect(classifyOperationError(transient, 'x')).toBe(transient);
    const foreign = Object.assign(new Error('from another bundle'), { name: 'PermanentError' });
    expect(classifyOperationError(foreign, 'x')).toBe(foreign);
  });
});
