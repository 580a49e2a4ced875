// CPU time (user + system, ms) the bench's PostgreSQL server has used so far: the postmaster's own and
// its reaped children's (/proc/<pid>/stat utime, stime, cutime, cstime) plus every live child's (the
// backends, parallel workers, checkpointer, autovacuum). A load's share of it hardly moves when other
// work shares the machine, where wall time does: on 2 cores at load average 15 a mode's wall-time ratio
// to append swung by ±0.1 between runs. Linux only: undefined elsewhere (or when /proc is unreadable).
import fs from 'node:fs';
import type pg from 'pg';

// USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux build that matters here.
const TICK_MS = 10;

interface ProcStat { ppid: number; own: number; children: number }

function procStat(pid: string | number): ProcStat | undefined {
  try {
    // After "pid (comm) ": state, ppid, ... utime is field 14 of the whole line, i.e. index 11 here.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    const n = (i: number) => Number(fields[i] ?? 0);
    return { ppid: n(1), own: (n(11) + n(12)) * TICK_MS, children: (n(13) + n(14)) * TICK_MS };
  } catch {
    return undefined;
  }
}

export async function serverCpuMs(db: pg.Pool): Promise<number | undefined> {
  const { rows: [row] } = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
  const postmaster = row ? procStat(row.pid)?.ppid : undefined;
  const server = postmaster ? procStat(postmaster) : undefined;
  if (!postmaster || !server) return undefined;
  let live = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = procStat(entry);
    if (child?.ppid === postmaster) live += child.own;
  }
  return server.own + server.children + live;
}
