// The redactor scrubs what a secret or a credential looks like out of text, and leaves ordinary text,
// hosts and schemes alone so an error still says where it happened.
import { describe, expect, it } from 'vitest';
import { createRedactor, MIN_SECRET_LENGTH, REDACTED } from '../../shared/redact';

describe('secrets read by this process', () => {
  it('are replaced wherever they appear, as is and URL-encoded, base64 and escaped', () => {
    const r = createRedactor();
    const secret = 'Zebra&Fish/42 "quoted"';
    r.addSecret(secret);
    const forms = [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64').replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
      JSON.stringify(secret).slice(1, -1),
      'Zebra&amp;Fish/42 &quot;quoted&quot;',
    ];
    for (const form of forms) {
      const out = r.redact(`before ${form} after`);
      expect(out, form).toBe(`before ${REDACTED} after`);
    }
  });

  it('registers a URL secret whole and its password on its own, encoded or not', () => {
    const r = createRedactor();
    r.addSecret('postgres://loader:p%40ss-W0rd!@db.internal:5432/pos');
    expect(r.redact('connect postgres://loader:p%40ss-W0rd!@db.internal:5432/pos failed')).toBe(`connect ${REDACTED} failed`);
    expect(r.redact('auth failed for "p@ss-W0rd!"')).toBe(`auth failed for "${REDACTED}"`);
    expect(r.redact('auth failed for p%40ss-W0rd!')).toBe(`auth failed for ${REDACTED}`);
  });

  it('registers the password of a libpq conninfo secret on its own', () => {
    const r = createRedactor();
    r.addSecret("host=db user=loader password='s3cr3t pw' dbname=pos");
    expect(r.redact('server said: s3cr3t pw is wrong')).toBe(`server said: ${REDACTED} is wrong`);
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters, so common words are not mangled`, () => {
    const r = createRedactor();
    r.addSecret('abc');
    r.addSecret('smtp://u:pw@mail.example');
    expect(r.redact('abc is the alphabet, pw too')).toBe('abc is the alphabet, pw too');
    // Still caught where it appears in a credential's shape.
    expect(r.redact('smtp://u:pw@other.example')).toBe(`smtp://${REDACTED}@other.example`);
  });

  it('knows only what was added to it: redactors are independent', () => {
    const a = createRedactor();
    const b = createRedactor();
    a.addSecret('only-in-a-123');
    expect(a.redact('x only-in-a-123')).toBe(`x ${REDACTED}`);
    expect(b.redact('x only-in-a-123')).toBe('x only-in-a-123');
  });
});

describe('credential-shaped text, whatever its origin', () => {
  const r = createRedactor();
  const cases: Array<[string, string, string]> = [
    ['postgres URL userinfo', 'connect postgres://loader:hunter2@db.example:5432/pos timed out', `connect postgres://${REDACTED}@db.example:5432/pos timed out`],
    ['postgresql URL, @ in password', 'postgresql://u:p@ss@db/x', `postgresql://${REDACTED}@db/x`],
    ['smtps URL', 'relay smtps://mailer:Sup3r@smtp.example:465 refused', `relay smtps://${REDACTED}@smtp.example:465 refused`],
    ['https token userinfo', 'git clone https://ghtoken@github.com/o/r', `git clone https://${REDACTED}@github.com/o/r`],
    ['Bearer header', 'Authorization: Bearer abc.DEF-123_xyz', `Authorization: Bearer ${REDACTED}`],
    ['Basic header', 'Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${REDACTED}`],
    ['Google access token', 'token ya29.a0AfH6SMBx-yz_12.3 expired', `token ${REDACTED} expired`],
    ['Google refresh token', 'refresh 1//0gAbCdEfGhIjKlMnOpQrStUv-wxyz rejected', `refresh ${REDACTED} rejected`],
    ['Google API key', `key AIza${'B'.repeat(35)} used`, `key ${REDACTED} used`],
    ['JWT', 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature ok', `jwt ${REDACTED} ok`],
    ['libpq conninfo, quoted with a backslash escape', "host=db password='it\\'s secret' user=x", `host=db password=${REDACTED} user=x`],
    ['libpq conninfo, plain', 'host=db password=hunter22 user=x', `host=db password=${REDACTED} user=x`],
    ['query string', 'GET /cb?code=1&access_token=abc123&x=1', `GET /cb?code=1&access_token=${REDACTED}&x=1`],
    ['JSON body', '{"client_secret": "s3cr3t", "id": 1}', `{"client_secret": "${REDACTED}", "id": 1}`],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => expect(r.redact(input)).toBe(expected));
  }

  it('a PEM private key block, also one cut short', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
    expect(r.redact(`key: ${key} (end)`)).toBe('key: [redacted private key] (end)');
    expect(r.redact('-----BEGIN RSA PRIVATE KEY-----\nMIIEow')).toBe('[redacted private key]');
    // A certificate is public: kept.
    expect(r.redact('-----BEGIN CERTIFICATE-----\nMIIB')).toBe('-----BEGIN CERTIFICATE-----\nMIIB');
  });

  it('leaves ordinary text alone: hosts, schemes, e-mail addresses, prose', () => {
    const plain = [
      'connect ECONNREFUSED 127.0.0.1:5432',
      'fetched https://storage.googleapis.com/b/o?alt=media',
      'mail to ops@example.com failed during RCPT',
      'Bearer authentication failed; Basic Authentication is off',
      'password authentication failed for user "loader"',
      'load into pos.orders failed at row 3: invalid input syntax for type integer: "x"',
    ];
    for (const text of plain) expect(r.redact(text), text).toBe(text);
  });

  it('is idempotent', () => {
    const once = r.redact('postgres://u:p@h/d Bearer abc.def.123');
    expect(r.redact(once)).toBe(once);
  });
});

describe('Google sign-in credentials by shape', () => {
  const r = createRedactor();
  const cases: Array<[string, string, string]> = [
    ['OAuth client secret', 'client GOCSPX-AbCdEf_123-xyzXYZ7890abcd rejected', `client ${REDACTED} rejected`],
    ['refresh token, URL-encoded in a form body', 'grant_type=refresh_token&rt=1%2F%2F0gAbCdEfGhIjKlMnOpQrStUv', `grant_type=refresh_token&rt=${REDACTED}`],
    ['authorization code', 'code 4/0AVMBsJgAbCdEfGhIjKlMnOpQr used twice', `code ${REDACTED} used twice`],
    ['authorization code in a pasted redirect URL', 'http://127.0.0.1:8085/?state=s&code=4%2F0AVMBsJgAbCdEfGhIjKlMnOpQr&scope=x', `http://127.0.0.1:8085/?state=s&code=${REDACTED}&scope=x`],
    ['PKCE verifier and JWT assertion in a form body', 'code_verifier=abcDEF123-verifier&assertion=xyz.abc.def', `code_verifier=${REDACTED}&assertion=${REDACTED}`],
    ['service account key JSON', '{"type": "service_account", "private_key": "MIIEv..."}', `{"type": "service_account", "private_key": "${REDACTED}"}`],
    ['token endpoint response', '{"access_token":"opaque-double-token","refresh_token":"another-one","expires_in":3599}', `{"access_token":"${REDACTED}","refresh_token":"${REDACTED}","expires_in":3599}`],
    ['JSON-escaped PEM key', '"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"', `"private_key":"${REDACTED}"`],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => expect(r.redact(input)).toBe(expected));
  }

  it('leaves dates, fractions and client ids alone', () => {
    const plain = ['due 4/05/2026', '1/2 of the rows', 'client 123456789012-abc.apps.googleusercontent.com', 'HTTP 403 storageQuotaExceeded'];
    for (const text of plain) expect(r.redact(text), text).toBe(text);
  });
});
