// Fault injection: rules a test arms through the seeding API, each matching one route name
// (e.g. gmail.users.messages.get, oauth.token, drive.upload.resumable; '*' for any API route) and
// firing a limited number of times, in the order armed. Kinds:
//   status         answer 429 / 500 / 503 (429 and 503 with Retry-After) in Google's error shape
//   invalid_grant  the token endpoint answers 400 invalid_grant
//   delay          hold the request ms milliseconds, then run it normally
//   drop_after_bytes  resumable upload chunk: accept that many bytes of the body, then cut the connection
//   history_expired   history.list answers 404 as for a startHistoryId outside the kept window
import { z } from 'zod';
import { ApiError, OAuthError } from './errors';

export const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('status'), status: z.union([z.literal(429), z.literal(500), z.literal(503)]), retryAfterSeconds: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('invalid_grant') }),
  z.object({ kind: z.literal('delay'), ms: z.number().int().min(0).max(120_000) }),
  z.object({ kind: z.literal('drop_after_bytes'), bytes: z.number().int().min(0) }),
  z.object({ kind: z.literal('history_expired') }),
]);
export type FaultAction = z.infer<typeof faultSchema>;

export const faultRuleSchema = z.object({
  route: z.string().min(1),
  /** Only requests for this principal (mailbox / Drive identity); omitted: anyone. */
  principal: z.string().optional(),
  times: z.number().int().min(1).default(1),
  fault: faultSchema,
});
export type FaultRule = z.input<typeof faultRuleSchema>;

interface ArmedRule {
  id: number;
  route: string;
  principal?: string;
  remaining: number;
  fault: FaultAction;
}

export class Faults {
  private rules: ArmedRule[] = [];
  private nextId = 1;

  arm(rule: FaultRule): number {
    const parsed = faultRuleSchema.parse(rule);
    const id = this.nextId++;
    this.rules.push({ id, route: parsed.route, principal: parsed.principal?.toLowerCase(), remaining: parsed.times, fault: parsed.fault });
    return id;
  }

  /** The first armed rule for this route whose kind is one of `kinds`; spends one of its times. */
  take(route: string, kinds: ReadonlyArray<FaultAction['kind']>, principal?: string): FaultAction | undefined {
    const rule = this.rules.find(
      (r) => (r.route === route || (r.route === '*' && !route.startsWith('oauth.'))) && kinds.includes(r.fault.kind) && (r.principal === undefined || r.principal === principal?.toLowerCase()),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.fault;
  }

  pending(): Array<{ id: number; route: string; remaining: number; fault: FaultAction }> {
    return this.rules.map(({ id, route, remaining, fault }) => ({ id, route, remaining, fault }));
  }

  clear(): void {
    this.rules = [];
  }
}

/** The answer an armed status fault gives, in the shape of the route it hits. */
export function faultError(operation: string, fault: Extract<FaultAction, { kind: 'status' }>): ApiError | OAuthError {
  const seconds = fault.retryAfterSeconds ?? (fault.status === 500 ? undefined : 1);
  const headers: Record<string, string> = seconds === undefined ? {} : { 'retry-after': String(seconds) };
  if (operation.startsWith('oauth.')) return fault.status === 429 ? new OAuthError(429, 'rate_limit_exceeded', 'Rate limit exceeded') : new OAuthError(fault.status, 'internal_failure', 'Backend Error');
  const drive = operation.startsWith('drive.');
  if (fault.status === 429) {
    return new ApiError(429, drive ? 'User rate limit exceeded.' : 'Too many concurrent requests for user.', { reason: drive ? 'userRateLimitExceeded' : 'rateLimitExceeded', domain: 'usageLimits' }, headers);
  }
  if (fault.status === 503) return new ApiError(503, 'The service is currently unavailable.', { reason: 'backendError' }, headers);
  return new ApiError(500, 'Internal error encountered.', { reason: 'backendError' }, headers);
}

/** Runs the status/delay faults armed for this route and principal: waits, or throws the answer. */
export async function applyFaults(faults: Faults, operation: string, principal: string | undefined, onFault: (description: string) => void): Promise<void> {
  const armed = faults.take(operation, ['status', 'delay'], principal);
  if (armed?.kind === 'delay') {
    onFault(`delay ${armed.ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, armed.ms));
  } else if (armed?.kind === 'status') {
    onFault(`status ${armed.status}`);
    throw faultError(operation, armed);
  }
}
