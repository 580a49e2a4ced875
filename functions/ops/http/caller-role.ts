// Which role a verified Google identity has, from the ops definition (pipelines/ops.ts): operators
// act, viewers look. An empty `viewers` list means every verified caller may look: the function is
// deployed requiring authentication, so IAM has already decided who may invoke it at all.
// `group:` principals cannot be resolved from an ID token (membership is Cloud Identity's to say):
// they are granted the invoker role by the Pulumi program, and with `viewers` empty their members
// are viewers; to make them operators name them as `user:` principals.
import type { OpsDefinition } from '../../../shared/ops-definition';
import type { Caller } from '../api-schemas';

export interface VerifiedIdentity {
  email: string;
  // The Workspace domain claim, when the account has one.
  hostedDomain?: string;
}

// `user:ana@example.com` or `serviceAccount:ci@p.iam.gserviceaccount.com`.
export function principalOf(email: string): string {
  return /\.gserviceaccount\.com$/i.test(email) ? `serviceAccount:${email}` : `user:${email}`;
}

function principalsOf(identity: VerifiedIdentity): Set<string> {
  const email = identity.email.toLowerCase();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const names = [principalOf(email), `domain:${domain}`, ...(identity.hostedDomain ? [`domain:${identity.hostedDomain}`] : [])];
  // Compared case-blind, kind included: IAM does not tell `serviceAccount:` from `serviceaccount:`.
  return new Set(names.map((n) => n.toLowerCase()));
}

const matchesAny = (names: Set<string>, declared: readonly string[]) => declared.some((p) => names.has(p.toLowerCase()));

// undefined: the caller is verified but neither a viewer nor an operator (403).
export function roleOf(identity: VerifiedIdentity, ops: Pick<OpsDefinition, 'viewers' | 'operators'>): Caller | undefined {
  const names = principalsOf(identity);
  const principal = principalOf(identity.email);
  if (matchesAny(names, ops.operators)) return { principal, role: 'operator' };
  if (ops.viewers.length === 0 || matchesAny(names, ops.viewers)) return { principal, role: 'viewer' };
  return undefined;
}
