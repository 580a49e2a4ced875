import { constants as fsConstants } from 'node:fs';
import type { Dir } from 'node:fs';
import { chmod, lstat, mkdir, open, opendir, realpath, rename, rmdir, stat, truncate, unlink, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, SFTPWrapper } from 'ssh2';
import type { Logger } from '../../shared/logger';
import { attrsOf, longnameOf } from './attrs';
import { resolveInside } from './paths';

// One SFTP session: answers the client's requests against the served root on the host's disk.
// Files are read and written through real file handles at the offsets the client asks for, so
// parallel transfers (fastGet/fastPut keep many requests in flight) never hold a file in memory.

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

// One READ answers at most this much, whatever the client asks (clients ask for ≤ 32 KiB–256 KiB).
const MAX_READ_BYTES = 256 * 1024;
// Directory entries per READDIR answer; the packet stays far below the SSH maximum.
const DIR_BATCH = 64;

type OpenItem =
  | { kind: 'file'; file: FileHandle; clientPath: string }
  | { kind: 'dir'; dir: Dir; hostPath: string; finished: boolean };

type IncomingAttrs = Partial<Attributes>;

// Status codes say what went wrong without the host path in the message (it would reveal where
// the emulator keeps its files and is meaningless to the client).
function statusOf(error: unknown): { code: number; message: string } {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return { code: STATUS_CODE.NO_SUCH_FILE, message: 'No such file or directory' };
    case 'EACCES':
    case 'EPERM':
      return { code: STATUS_CODE.PERMISSION_DENIED, message: 'Permission denied' };
    case 'EEXIST':
      return { code: STATUS_CODE.FAILURE, message: 'File exists' };
    case 'ENOTEMPTY':
      return { code: STATUS_CODE.FAILURE, message: 'Directory not empty' };
    case 'EISDIR':
      return { code: STATUS_CODE.FAILURE, message: 'Is a directory' };
    default:
      return { code: STATUS_CODE.FAILURE, message: errno ?? 'Failure' };
  }
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function openFlags(pflags: number): number {
  const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_TRUNC, O_EXCL } = fsConstants;
  const reads = (pflags & OPEN_MODE.READ) !== 0;
  const writes = (pflags & OPEN_MODE.WRITE) !== 0;
  let flags = reads && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= O_APPEND;
  if (pflags & OPEN_MODE.CREAT) flags |= O_CREAT;
  if (pflags & OPEN_MODE.TRUNC) flags |= O_TRUNC;
  if (pflags & OPEN_MODE.EXCL) flags |= O_EXCL;
  return flags;
}

function permissionsOf(attrs: IncomingAttrs | undefined, fallback: number): number {
  return typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : fallback;
}

// SETSTAT/FSETSTAT: apply what the client sent that makes sense on a local disk; owner changes are
// ignored (the emulator runs as one user), like a non-root OpenSSH sftp-server would refuse them.
interface AttrTarget {
  chmod(mode: number): Promise<void>;
  utimes(atime: number, mtime: number): Promise<void>;
  truncate(size: number): Promise<void>;
}

async function applyAttrs(target: AttrTarget, attrs: IncomingAttrs): Promise<void> {
  if (typeof attrs.size === 'number') await target.truncate(attrs.size);
  if (typeof attrs.mode === 'number') await target.chmod(attrs.mode & 0o7777);
  if (typeof attrs.atime === 'number' && typeof attrs.mtime === 'number') await target.utimes(attrs.atime, attrs.mtime);
}

async function existsNoFollow(hostPath: string): Promise<boolean> {
  try {
    await lstat(hostPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

// Fault injection for reliability tests (the chaos harness): cut the connection once a client has read
// past `cutAfterBytes(path)` of a file, as a vendor's server or a flaky link does mid-transfer.
export interface SftpFaults {
  cutAfterBytes?(clientPath: string): number | undefined;
  // Told after a cut, so a fault can fire once.
  onCut?(clientPath: string): void;
}

export interface SftpSessionOptions {
  faults?: SftpFaults;
  // Ends the client's connection (used by faults).
  disconnect?(): void;
}

export function serveSftpSession(sftp: SFTPWrapper, rootReal: string, log: Logger, options: SftpSessionOptions = {}): void {
  const open_ = new Map<string, OpenItem>();
  let handleCounter = 0;

  const newHandle = (item: OpenItem): Buffer => {
    const handle = Buffer.alloc(4);
    handle.writeUInt32BE(++handleCounter >>> 0);
    open_.set(handle.toString('hex'), item);
    return handle;
  };
  const itemOf = (handle: Buffer): OpenItem => {
    const item = open_.get(handle.toString('hex'));
    if (!item) throw errnoError('EBADF', 'unknown handle');
    return item;
  };
  const fileOf = (handle: Buffer): FileHandle => {
    const item = itemOf(handle);
    if (item.kind !== 'file') throw errnoError('EBADF', 'handle is a directory');
    return item.file;
  };
  const inside = (clientPath: string, followFinal: boolean) => resolveInside(rootReal, clientPath, followFinal);

  // The client sent EOF: like OpenSSH's sftp-server exiting on end of input, close the channel once
  // the requests already received are answered (OpenSSH's `sftp -b` waits for that close).
  let inFlight = 0;
  let clientEnded = false;
  const closeIfDone = () => {
    if (clientEnded && inFlight === 0) sftp.end();
  };
  sftp.once('end', () => {
    clientEnded = true;
    closeIfDone();
  });

  // Every request runs its async work and answers exactly once: with what the work sent, or a status.
  const handle = (op: string, reqid: number, work: () => Promise<void>) => {
    inFlight++;
    work()
      .catch((error: unknown) => {
        const { code, message } = statusOf(error);
        log.debug('sftp request failed', { op, status: code, reason: message });
        sftp.status(reqid, code, message);
      })
      .finally(() => {
        inFlight--;
        closeIfDone();
      });
  };
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);

  sftp.on('OPEN', (reqid, filename, pflags, attrs) =>
    handle('OPEN', reqid, async () => {
      const hostPath = await inside(filename, true);
      const file = await open(hostPath, openFlags(pflags), permissionsOf(attrs, 0o644));
      // Opening a directory succeeds on Linux but is never what an SFTP client means.
      if ((await file.stat()).isDirectory()) {
        await file.close();
        throw errnoError('EISDIR', 'is a directory');
      }
      sftp.handle(reqid, newHandle({ kind: 'file', file, clientPath: filename }));
    }),
  );

  sftp.on('READ', (reqid, h, offset, length) =>
    handle('READ', reqid, async () => {
      const item = itemOf(h);
      const file = fileOf(h);
      const cutAt = item.kind === 'file' ? options.faults?.cutAfterBytes?.(item.clientPath) : undefined;
      if (cutAt !== undefined && offset >= cutAt && options.disconnect && item.kind === 'file') {
        log.warn('sftp fault: connection cut mid-file', { path: item.clientPath, offset });
        options.disconnect();
        options.faults?.onCut?.(item.clientPath);
        return;
      }
      // Up to the cut point only, so the client has part of the file when the connection goes.
      const limit = cutAt !== undefined ? Math.max(1, cutAt - offset) : MAX_READ_BYTES;
      const buffer = Buffer.allocUnsafe(Math.min(length, MAX_READ_BYTES, limit));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.data(reqid, buffer.subarray(0, bytesRead));
    }),
  );

  sftp.on('WRITE', (reqid, h, offset, data) =>
    handle('WRITE', reqid, async () => {
      const file = fileOf(h);
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await file.write(data, written, data.length - written, offset + written);
        written += bytesWritten;
      }
      ok(reqid);
    }),
  );

  sftp.on('FSTAT', (reqid, h) =>
    handle('FSTAT', reqid, async () => {
      sftp.attrs(reqid, attrsOf(await fileOf(h).stat()));
    }),
  );

  sftp.on('FSETSTAT', (reqid, h, attrs) =>
    handle('FSETSTAT', reqid, async () => {
      await applyAttrs(fileOf(h), attrs);
      ok(reqid);
    }),
  );

  sftp.on('SETSTAT', (reqid, clientPath, attrs) =>
    handle('SETSTAT', reqid, async () => {
      const hostPath = await inside(clientPath, true);
      await applyAttrs(
        {
          chmod: (mode) => chmod(hostPath, mode),
          utimes: (a, m) => utimes(hostPath, a, m),
          truncate: (size) => truncate(hostPath, size),
        },
        attrs,
      );
      ok(reqid);
    }),
  );

  sftp.on('CLOSE', (reqid, h) =>
    handle('CLOSE', reqid, async () => {
      const item = itemOf(h);
      open_.delete(h.toString('hex'));
      if (item.kind === 'file') await item.file.close();
      else await item.dir.close();
      ok(reqid);
    }),
  );

  sftp.on('OPENDIR', (reqid, clientPath) =>
    handle('OPENDIR', reqid, async () => {
      const hostPath = await inside(clientPath, true);
      const dir = await opendir(hostPath, { bufferSize: DIR_BATCH });
      sftp.handle(reqid, newHandle({ kind: 'dir', dir, hostPath, finished: false }));
    }),
  );

  sftp.on('READDIR', (reqid, h) =>
    handle('READDIR', reqid, async () => {
      const item = itemOf(h);
      if (item.kind !== 'dir') throw errnoError('EBADF', 'handle is a file');
      const entries: Array<{ filename: string; longname: string; attrs: Attributes }> = [];
      const now = Date.now();
      while (!item.finished && entries.length < DIR_BATCH) {
        const dirent = await item.dir.read();
        if (dirent === null) {
          item.finished = true;
          break;
        }
        // An entry removed between listing and lstat is simply left out.
        const stats = await lstat(path.join(item.hostPath, dirent.name)).catch(() => undefined);
        if (stats) entries.push({ filename: dirent.name, longname: longnameOf(dirent.name, stats, now), attrs: attrsOf(stats) });
      }
      if (entries.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.name(reqid, entries);
    }),
  );

  sftp.on('LSTAT', (reqid, clientPath) =>
    handle('LSTAT', reqid, async () => {
      sftp.attrs(reqid, attrsOf(await lstat(await inside(clientPath, false))));
    }),
  );

  sftp.on('STAT', (reqid, clientPath) =>
    handle('STAT', reqid, async () => {
      sftp.attrs(reqid, attrsOf(await stat(await inside(clientPath, true))));
    }),
  );

  sftp.on('REALPATH', (reqid, clientPath) =>
    handle('REALPATH', reqid, async () => {
      // Answer in the client's terms: the canonical path inside the served tree. A path that does
      // not exist is "no such file", as OpenSSH's sftp-server answers (clients rely on that).
      const hostReal = await realpath(await inside(clientPath, true));
      const relative = path.relative(rootReal, hostReal);
      const virtualPath = '/' + relative.split(path.sep).filter(Boolean).join('/');
      sftp.name(reqid, [{ filename: virtualPath, longname: virtualPath, attrs: {} as Attributes }]);
    }),
  );

  sftp.on('MKDIR', (reqid, clientPath, attrs) =>
    handle('MKDIR', reqid, async () => {
      await mkdir(await inside(clientPath, false), permissionsOf(attrs, 0o755));
      ok(reqid);
    }),
  );

  sftp.on('RMDIR', (reqid, clientPath) =>
    handle('RMDIR', reqid, async () => {
      const hostPath = await inside(clientPath, false);
      if (hostPath === rootReal) throw errnoError('EACCES', 'cannot remove the root');
      await rmdir(hostPath);
      ok(reqid);
    }),
  );

  sftp.on('REMOVE', (reqid, clientPath) =>
    handle('REMOVE', reqid, async () => {
      const hostPath = await inside(clientPath, false);
      if ((await lstat(hostPath)).isDirectory()) throw errnoError('EISDIR', 'is a directory');
      await unlink(hostPath);
      ok(reqid);
    }),
  );

  sftp.on('RENAME', (reqid, fromPath, toPath) =>
    handle('RENAME', reqid, async () => {
      const from = await inside(fromPath, false);
      const to = await inside(toPath, false);
      // SFTP v3 RENAME (what OpenSSH implements without the posix-rename extension) refuses to
      // replace an existing target; pipelines that upload-then-rename must meet that here too.
      if (await existsNoFollow(to)) throw errnoError('EEXIST', 'target exists');
      await rename(from, to);
      ok(reqid);
    }),
  );

  // READLINK, SYMLINK and EXTENDED have no listener: ssh2 answers them "operation unsupported".

  // A client that disconnects without CLOSE must not leak file descriptors.
  sftp.once('close', () => {
    for (const item of open_.values()) {
      if (item.kind === 'file') void item.file.close().catch(() => undefined);
      else void item.dir.close().catch(() => undefined);
    }
    open_.clear();
  });
}
