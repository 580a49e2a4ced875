import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import type { AuthContext, ParsedKey } from 'ssh2';

// Checks a client's credentials against the configured users. Password and public key are the only
// methods; a public key counts only when the client proves it holds the private key (signature).

export interface SftpUser {
  username: string;
  password?: string;
  /** OpenSSH public key line, e.g. "ssh-ed25519 AAAA... comment". */
  publicKey?: string;
}

interface KnownUser {
  username: Buffer;
  password?: Buffer;
  publicKey?: ParsedKey;
}

// Constant-time comparison that also hides whether the lengths differ.
function sameBytes(given: Buffer, expected: Buffer): boolean {
  const lengthMatches = given.length === expected.length;
  return timingSafeEqual(given, lengthMatches ? expected : given) && lengthMatches;
}

export function prepareUsers(users: SftpUser[]): KnownUser[] {
  return users.map((user) => {
    const known: KnownUser = { username: Buffer.from(user.username) };
    if (user.password !== undefined) known.password = Buffer.from(user.password);
    if (user.publicKey !== undefined) {
      const parsed = ssh2.utils.parseKey(user.publicKey);
      if (parsed instanceof Error) throw new Error(`public key of SFTP user ${user.username} does not parse: ${parsed.message}`);
      known.publicKey = parsed;
    }
    return known;
  });
}

export type AuthOutcome = 'accepted' | 'key-ok' | 'rejected';

/** Decides one authentication attempt and answers it on the context. */
export function authenticate(ctx: AuthContext, users: KnownUser[]): AuthOutcome {
  const user = users.find((u) => sameBytes(Buffer.from(ctx.username), u.username));
  const methodsLeft: Array<'password' | 'publickey'> = ['password', 'publickey'];
  if (!user) {
    ctx.reject(methodsLeft);
    return 'rejected';
  }
  if (ctx.method === 'password') {
    if (user.password && sameBytes(Buffer.from(ctx.password), user.password)) {
      ctx.accept();
      return 'accepted';
    }
  } else if (ctx.method === 'publickey') {
    const key = user.publicKey;
    if (key && ctx.key.algo === key.type && sameBytes(ctx.key.data, key.getPublicSSH())) {
      // Without a signature the client only asks whether this key would be acceptable; accept()
      // then answers "key OK" and the client follows up with a signed request.
      if (!ctx.signature) {
        ctx.accept();
        return 'key-ok';
      }
      if (ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
        ctx.accept();
        return 'accepted';
      }
    }
  }
  ctx.reject(methodsLeft);
  return 'rejected';
}
