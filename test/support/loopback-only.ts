// Every test file runs with this (vitest setupFiles): a connection to anything but loopback is
// refused and recorded, and the file fails at the end naming it, even when the code under test
// swallowed the error (a client retrying, a probe that gives up quietly). The local cloud's
// stand-ins all listen on 127.0.0.1; a request for www.googleapis.com means a rootUrl or
// endpoint was not passed (googleapis media uploads ignore the API-level rootUrl, for one).
// Child processes (function hosts, bundles) are not covered: they get only loopback endpoints.
import net from 'node:net';
import { afterAll } from 'vitest';

const violations: string[] = [];

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h) || h === '0.0.0.0' || h === '::';
}

type ConnectArgs = unknown[];
function targetOf(args: ConnectArgs): { host: string; port: unknown } | undefined {
  // net.connect() hands the socket its normalized arguments as an array ([options, callback]).
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { host?: string; port?: unknown; path?: string | null };
    if (typeof o.path === 'string') return undefined; // a unix socket: local by definition (http passes path: null)
    return { host: o.host ?? 'localhost', port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a unix socket path
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
  const target = targetOf(args);
  if (target && !isLoopback(target.host)) {
    const what = `${target.host}:${String(target.port)}`;
    violations.push(what);
    const error = Object.assign(new Error(`connection to ${what} refused: tests must stay on loopback (test/support/loopback-only.ts)`), { code: 'ECONNREFUSED' });
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return (originalConnect as (...a: ConnectArgs) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

/** For the guard's own test: the recorded attempts, forgotten (so that file does not fail). */
export function takeLoopbackViolations(): string[] {
  return violations.splice(0, violations.length);
}

afterAll(() => {
  if (violations.length > 0) throw new Error(`this test file tried to leave loopback: ${[...new Set(violations)].join(', ')}`);
});
