import { createHash } from 'node:crypto';

// An SSH host key is pinned by its SHA-256 fingerprint in the exact text `ssh-keygen -lf` prints
// ("SHA256:" + unpadded base64), so an operator can copy the pin from the server's console into a
// pipeline config. The server side (emulator) and the runtime's SFTP client both use this one
// function, so a pin computed on either side matches the other.

/** Fingerprint of a raw SSH public key blob (the bytes ssh2's `hostVerifier` receives without `hostHash`). */
export function fingerprintOfHostKey(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** Fingerprint of an OpenSSH public key line ("ssh-ed25519 AAAA... comment"). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return fingerprintOfHostKey(Buffer.from(blob, 'base64'));
}

/**
 * A pin compares equal with or without the "SHA256:" prefix and base64 padding, since people paste
 * both forms; the comparison itself is exact (base64 is case-sensitive).
 */
export function fingerprintMatches(pin: string, key: Buffer): boolean {
  const normalise = (s: string) => s.trim().replace(/^SHA256:/, '').replace(/=+$/, '');
  return normalise(pin) === normalise(fingerprintOfHostKey(key));
}
