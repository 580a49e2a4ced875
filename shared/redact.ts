// Scrubs secrets out of TEXT before it reaches a sink (a log line, a run record, a mail, a dead-letter
// attribute). Two nets, because neither alone is enough:
//  1. every value this process has read from a secret, matched exactly — also URL-encoded, base64,
//     JSON- and HTML-escaped, and a URL secret's password on its own — whatever a dependency wraps it in;
//  2. credential-SHAPED text, whatever its origin: a URL's userinfo (`scheme://user:pass@host` keeps
//     scheme and host), `Bearer`/`Basic` credentials, PEM private keys, Google OAuth tokens, JWTs,
//     Google OAuth client secrets (GOCSPX-) and authorization codes (4/0…),
//     common API-key shapes, and `password=…`-style pairs in libpq conninfo, query strings and JSON.
// Values shorter than MIN_SECRET_LENGTH are not matched exactly: a 3-letter password would otherwise
// turn every "abc" in every message into [redacted]. Such secrets are still caught by the shapes above
// when they appear in one (a URL's password, `password=…`).

export const REDACTED = '[redacted]';
export const MIN_SECRET_LENGTH = 6;

export interface Redactor {
  // Remembers a secret's value so that every later text containing it is scrubbed.
  addSecret(value: string): void;
  redact(text: string): string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

// The secret-looking parts of a secret's value that may travel on their own: a URL's password (as
// written and decoded), a libpq conninfo's password.
function partsOf(value: string): string[] {
  const parts: string[] = [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*?:([^/?#\s]*)@/i.exec(value);
  if (userinfo?.[1]) {
    parts.push(userinfo[1]);
    try {
      parts.push(decodeURIComponent(userinfo[1]));
    } catch {
      // Not valid percent-encoding: the raw form is all there is.
    }
  }
  const conninfo = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(value);
  if (conninfo?.[1]) parts.push(conninfo[1].replace(/^'(.*)'$/s, '$1'));
  return parts;
}

// The forms a value takes once something has encoded it for its own purposes.
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [
    value,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    // Without padding, so the form matches whatever padding follows it.
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    JSON.stringify(value).slice(1, -1),
    escapeHtml(value),
  ];
}

// A token after `Bearer`/`Basic` is redacted when it looks generated, not like the next word of a
// sentence ("Bearer authentication failed"): a digit or symbol in it, or mixed case after its first letter.
const looksGenerated = (token: string) => token.length >= 8 && (/[0-9._~+/=-]/.test(token) || (/[a-z]/.test(token.slice(1)) && /[A-Z]/.test(token.slice(1))));

const CREDENTIAL_KEYS = 'password|passwd|pwd|pass|sslpassword|secret|client_secret|token|access_token|refresh_token|id_token|api_?key|apikey|auth_?token|private_key|code_verifier|assertion|client_assertion|signedJwt';

const SHAPES: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // A PEM private key block, or what is left of one cut short.
  [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g, () => '[redacted private key]'],
  // The userinfo of any URL (up to its last `@` before the path), scheme and host kept for the reader.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#'"<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  [/\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi, (m, word, space, token) => (looksGenerated(token) ? `${word}${space}${REDACTED}` : m)],
  // Google OAuth access and refresh tokens, Google API keys, GitHub and Slack tokens, JWTs.
  [/\bya29\.[A-Za-z0-9_\-.]+/g, () => REDACTED],
  [/(?<![A-Za-z0-9/])1\/\/[A-Za-z0-9_-]{20,}/g, () => REDACTED],
  // The same refresh token URL-encoded (a form body, a query string).
  [/(?<![A-Za-z0-9%])1%2F%2F[A-Za-z0-9_-]{20,}/gi, () => REDACTED],
  // Google OAuth client secrets, and authorization codes (`4/0A…`, also URL-encoded in a pasted
  // redirect URL): a code is worth a refresh token until it is exchanged.
  [/\bGOCSPX-[A-Za-z0-9_-]{10,}/g, () => REDACTED],
  [/(?<![A-Za-z0-9/%])4(?:\/|%2F)0[A-Za-z0-9_-]{20,}/gi, () => REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}/g, () => REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, () => REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, () => REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, () => REDACTED],
  // key=value (libpq conninfo `password='…'`, query strings, form bodies) and "key": "value" (JSON).
  [new RegExp(`\\b(${CREDENTIAL_KEYS})(\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|"(?:[^"\\\\]|\\\\.)*"|[^\\s&;,]+)`, 'gi'), (_m, key, eq) => `${key}${eq}${REDACTED}`],
  [new RegExp(`("(?:${CREDENTIAL_KEYS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), (_m, key) => `${key}"${REDACTED}"`],
];

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  let known: RegExp | undefined;

  return {
    addSecret(value) {
      let added = false;
      for (const part of [value, ...partsOf(value)]) {
        if (part.length < MIN_SECRET_LENGTH) continue;
        for (const form of formsOf(part)) {
          if (!secrets.has(form)) {
            secrets.add(form);
            added = true;
          }
        }
      }
      // Longest first, so a whole URL is replaced before its password inside it is.
      if (added) known = new RegExp([...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    },
    redact(text) {
      // Exact values first: a shape replaced first could cut a secret so that it no longer matches.
      let out = known ? text.replace(known, REDACTED) : text;
      for (const [shape, replace] of SHAPES) out = out.replace(shape, replace as (m: string, ...g: unknown[]) => string);
      return out;
    },
  };
}

// ONE registry per process, on globalThis: every sink (the logger, the run recorder, the mailer, the
// dead-letter publisher) must see every secret the secret reader has read, and they are built in
// different places (the local cloud hands its own logger in). Keyed by a global symbol so that two
// copies of this module in one bundle still share it. Tests that want their own pass a createRedactor().
const REGISTRY = Symbol.for('sluice.redactor');
type WithRegistry = typeof globalThis & { [REGISTRY]?: Redactor };
export const processRedactor: Redactor = ((globalThis as WithRegistry)[REGISTRY] ??= createRedactor());

// The process redactor, for sinks that take no redactor of their own.
export function redact(text: string): string {
  return processRedactor.redact(text);
}
