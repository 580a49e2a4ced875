// One logger writing to two: the console at the level the user asked for, and the local log stream
// (run-log-store.ts) at INFO whatever the console shows, so a run's logs can be read afterwards.
import type { Logger } from '../shared/logger';

export function teeLogger(a: Logger, b: Logger): Logger {
  return {
    debug: (message, fields) => (a.debug(message, fields), b.debug(message, fields)),
    info: (message, fields) => (a.info(message, fields), b.info(message, fields)),
    warn: (message, fields) => (a.warn(message, fields), b.warn(message, fields)),
    error: (message, fields) => (a.error(message, fields), b.error(message, fields)),
    child: (fields) => teeLogger(a.child(fields), b.child(fields)),
  };
}
