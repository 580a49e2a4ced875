// The dashboard's file server: only its own files, with their content types and revalidation
// headers; paths that try to leave /ui/ or name other files answer 404.
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardHandler, DASHBOARD_FILES } from '../../functions/ops/dashboard/serve-dashboard';
import { PACKAGE_ASSETS } from '../../scripts/build-functions';

let server: http.Server;
let base: string;

beforeAll(async () => {
  const handler = createDashboardHandler();
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// fetch() normalizes dot segments; a raw request sends the path as written.
function raw(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}/`, { path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('serveDashboard', () => {
  it('serves index.html at /ui/ and every listed file with its type, revalidated by ETag', async () => {
    const index = await fetch(`${base}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await index.text()).toContain('<script type="module" src="app.js">');
    for (const [name, type] of Object.entries(DASHBOARD_FILES)) {
      const response = await fetch(`${base}/ui/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(type);
      const again = await fetch(`${base}/ui/${name}`, { headers: { 'if-none-match': response.headers.get('etag') ?? '' } });
      expect(again.status, name).toBe(304);
    }
  });

  it('lists every file of the dashboard folder the build copies (a module left out would answer 404)', () => {
    const folder = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../functions/ops/dashboard');
    const copied = readdirSync(folder).filter((name) => PACKAGE_ASSETS.ops!.match.test(name)).sort();
    expect(Object.keys(DASHBOARD_FILES).sort()).toEqual(copied);
  });

  it('serves routes.js built from routes.ts', async () => {
    const response = await fetch(`${base}/ui/routes.js`);
    const text = await response.text();
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(text).toContain('"/runs/{id}:rerun"');
    expect(text).toContain('export function pathOf');
  });

  it('redirects /ui to /ui/ and refuses other files, traversal and mutations', async () => {
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/ui/');
    for (const path of ['/ui/serve-dashboard.ts', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/..%2fpackage.json', '/ui//etc/passwd', '/ui/app.js/', '/package.json']) {
      expect(await raw(path), path).toBe(404);
    }
    expect((await fetch(`${base}/ui/app.js`, { method: 'POST' })).status).toBe(405);
  });
});
