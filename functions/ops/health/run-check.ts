// One dependency check of /health/detailed: how long it took and whether it answered, bounded by a
// timeout. A failure's text is the error's first line, redacted (a driver may quote a connection
// string) and capped: it says what broke, never with what credential.
import type { DependencyHealth } from '../api-schemas';
import type { Redactor } from '../../../shared/redact';

export const CHECK_TIMEOUT_MS = 5000;

export interface CheckSpec {
  name: string;
  required: boolean;
  pipeline?: string;
  check: () => Promise<void>;
}

export function describeFailure(error: unknown, redactor: Redactor): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? String(e.code) : undefined;
  const line = (message.split('\n')[0] ?? '').slice(0, 200);
  return redactor.redact(code && !line.includes(code) ? `${code}: ${line}` : line);
}

export async function runCheck(spec: CheckSpec, options: { timeoutMs?: number; redactor: Redactor; now?: () => number }): Promise<DependencyHealth> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  const base = { name: spec.name, required: spec.required, ...(spec.pipeline ? { pipeline: spec.pipeline } : {}) };
  try {
    await Promise.race([spec.check(), timeout]);
    return { ...base, ok: true, latencyMs: Math.round(now() - started) };
  } catch (error) {
    return { ...base, ok: false, latencyMs: Math.round(now() - started), error: describeFailure(error, options.redactor) };
  } finally {
    clearTimeout(timer);
  }
}
