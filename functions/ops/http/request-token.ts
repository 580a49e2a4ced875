// Where a request's token is: `Authorization: Bearer <token>` (the CLI, scripts, the dashboard's
// fetches), else the `sluice_token` cookie a browser got when it opened the dashboard with
// `?token=` (dashboard-session.ts). A cookie is sent by the browser on its own, so a mutation
// carried by one must come from this origin (checked in create-ops-app.ts).
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'sluice_token';

export interface RequestToken {
  token: string;
  via: 'header' | 'cookie';
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function tokenOf(req: IncomingMessage): RequestToken | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer) return { token: bearer, via: 'header' };
  const cookie = cookieOf(req, TOKEN_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

// Whether a browser request comes from the page this server served: the Origin it names (browsers
// send it on every POST) is this host. No Origin: not a browser's cross-site request.
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
