// A bulk action's id is its request: the same action, filter and rerun options always name the same
// action, so starting it again (a double submit, a retried POST, a second `sluice bulk` with the same
// filter) finds the action already recorded and resumes or extends it (create-bulk-actions.ts)
// instead of acting on its runs again.
import crypto from 'node:crypto';
import type { BulkRequest } from '../api-schemas';

// Objects with sorted keys and sorted status lists: two spellings of one request are one id.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return [...value].map(canonical).sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

export function bulkActionId(request: Pick<BulkRequest, 'action' | 'filter' | 'rerun'>): string {
  const since = request.filter.since ? new Date(request.filter.since).toISOString() : undefined;
  const until = request.filter.until ? new Date(request.filter.until).toISOString() : undefined;
  const key = canonical({
    action: request.action,
    filter: { ...request.filter, since, until },
    rerun: request.action === 'rerun' ? { files: request.rerun?.files ?? 'all', fromStage: request.rerun?.fromStage ?? 'fetch' } : undefined,
  });
  return `bulk-${crypto.createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 20)}`;
}
