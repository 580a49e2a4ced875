// The operations surface's one declaration (pipelines/ops.ts): who may look and who may act, how long
// run state is kept, where the dashboard is. Plain data validated by zod at load time; read by the ops
// function, the local cloud and the Pulumi program alike.
import { z } from 'zod';
import { issueLines } from './zod-issues';

// An IAM principal as Google writes it: `user:…`, `serviceAccount:…`, `group:…` or `domain:…`.
const principal = z.string().regex(/^(user|serviceAccount|group|domain):[^\s]+$/, 'must be an IAM principal such as "user:ana@example.com"');

export const opsSchema = z.object({
  // Who may read the ops API and dashboard, and who may also act (trigger, rerun, cancel, pause,
  // replay, purge, bulk). Operators are viewers too. The function is deployed requiring
  // authentication; these principals are granted its invoker role and mapped to roles on each call
  // by the identity in their Google ID token.
  viewers: z.array(principal).default([]),
  operators: z.array(principal).default([]),
  // Firestore TTL: run documents, their file records and kept dead letters are deleted this many days
  // after they were last written.
  retention: z.object({
    runDays: z.number().int().min(1).max(3650).default(365),
    fileDays: z.number().int().min(1).max(3650).default(30),
    deadLetterDays: z.number().int().min(1).max(3650).default(30),
  }).strict().default({ runDays: 365, fileDays: 30, deadLetterDays: 30 }),
  // The dashboard's public URL for links in alerts; default: the ops function's own URL.
  dashboardUrl: z.url({ protocol: /^https?$/ }).optional(),
}).strict();

export type OpsInput = z.input<typeof opsSchema>;
export type OpsDefinition = z.infer<typeof opsSchema>;

export class OpsDefinitionError extends Error {
  override name = 'OpsDefinitionError';
}

export function defineOps(input: OpsInput): OpsDefinition {
  const parsed = opsSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data) as OpsDefinition;
  const problems = issueLines(parsed.error);
  throw new OpsDefinitionError(`ops definition is invalid: ${problems.join('; ')}`);
}
