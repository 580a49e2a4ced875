import { realpath } from 'node:fs/promises';
import path from 'node:path';

// Every client path is a path inside the served root, never on the host. Two ways out exist and
// both are closed: `..` segments (clamped lexically at "/", like a chroot) and symbolic links that
// point outside (checked by resolving the real path of what the request touches).

export class OutsideRootError extends Error {
  readonly code = 'EACCES';
  constructor(virtualPath: string) {
    super(`path escapes the served root: ${virtualPath}`);
  }
}

/** The client's path as an absolute, normalised path of the virtual tree ("/" is the root). */
export function normaliseVirtual(clientPath: string): string {
  // The session's working directory is always "/", so relative paths start there.
  return path.posix.resolve('/', clientPath || '.');
}

function isInside(rootReal: string, candidate: string): boolean {
  return candidate === rootReal || candidate.startsWith(rootReal + path.sep);
}

async function realpathOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Host path for a client path. `followFinal` says whether the operation acts through a symlink in
 * the last segment (open, stat) or on the link itself (lstat, remove, rename). The parent directory
 * must exist; a missing last segment is allowed so files and directories can be created.
 */
export async function resolveInside(rootReal: string, clientPath: string, followFinal: boolean): Promise<string> {
  const virtualPath = normaliseVirtual(clientPath);
  if (virtualPath === '/') return rootReal;
  const hostPath = path.join(rootReal, ...virtualPath.split('/').filter(Boolean));
  const parentReal = await realpath(path.dirname(hostPath)); // ENOENT surfaces as "no such file"
  if (!isInside(rootReal, parentReal)) throw new OutsideRootError(virtualPath);
  const target = path.join(parentReal, path.basename(hostPath));
  if (followFinal) {
    const targetReal = await realpathOrUndefined(target);
    if (targetReal !== undefined && !isInside(rootReal, targetReal)) throw new OutsideRootError(virtualPath);
  }
  return target;
}
