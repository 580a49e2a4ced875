// The suite-wide guard (test/support/loopback-only.ts, a vitest setup file): connections off
// loopback are refused and recorded, loopback ones pass.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { google } from 'googleapis';
import { describe, expect, it } from 'vitest';
import { takeLoopbackViolations } from './loopback-only';

describe('loopback-only guard', () => {
  it('refuses fetch, http and googleapis requests to the internet, and records them', async () => {
    await expect(fetch('https://www.googleapis.com/gmail/v1/users/me/profile')).rejects.toThrow();
    await expect(new Promise((resolve, reject) => http.get('http://203.0.113.7:8080/', resolve).once('error', reject))).rejects.toThrow(/tests must stay on loopback/);
    const gmail = google.gmail({ version: 'v1', auth: 'no-key' });
    await expect(gmail.users.getProfile({ userId: 'me' }, { retry: false })).rejects.toThrow();
    expect(takeLoopbackViolations()).toEqual(['www.googleapis.com:443', '203.0.113.7:8080', 'gmail.googleapis.com:443']);
  });

  it('lets loopback through', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('ok');
    } finally {
      server.close();
    }
    expect(takeLoopbackViolations()).toEqual([]);
  });
});
