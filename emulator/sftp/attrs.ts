import type { Stats } from 'node:fs';
import type { Attributes } from 'ssh2';

// SFTP v3 attributes carry times as whole seconds and the full st_mode (file-type bits included):
// clients such as ssh2-sftp-client derive isDirectory()/isFile() from those bits.

export function attrsOf(stats: Stats): Attributes {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

function typeChar(stats: Stats): string {
  if (stats.isDirectory()) return 'd';
  if (stats.isSymbolicLink()) return 'l';
  if (stats.isFIFO()) return 'p';
  if (stats.isSocket()) return 's';
  if (stats.isCharacterDevice()) return 'c';
  if (stats.isBlockDevice()) return 'b';
  return '-';
}

function permissionString(mode: number): string {
  const bits = 'rwxrwxrwx';
  let out = '';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

// `ls -l` shows the time of day for recent files and the year for older ones (UTC here, so the
// listing does not depend on the machine's time zone).
function lsDate(mtimeMs: number, nowMs: number): string {
  const d = new Date(mtimeMs);
  const month = MONTHS[d.getUTCMonth()] ?? '???';
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const recent = Math.abs(nowMs - mtimeMs) < SIX_MONTHS_MS;
  const tail = recent
    ? `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
    : ` ${d.getUTCFullYear()}`;
  return `${month} ${day} ${tail}`;
}

/** The `ls -l` style line OpenSSH's sftp-server sends with each directory entry. */
export function longnameOf(filename: string, stats: Stats, nowMs = Date.now()): string {
  const mode = typeChar(stats) + permissionString(stats.mode);
  const size = String(stats.size).padStart(8, ' ');
  return `${mode} ${String(stats.nlink).padStart(4, ' ')} ${String(stats.uid).padEnd(8, ' ')} ${String(stats.gid).padEnd(8, ' ')} ${size} ${lsDate(stats.mtimeMs, nowMs)} ${filename}`;
}
