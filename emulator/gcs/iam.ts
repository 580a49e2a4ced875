import type { IncomingMessage } from 'node:http';
import { LOCAL_IDENTITY_PREFIX, OBJECT_ROLES, type ObjectBinding, type ObjectRole } from '../../shared/bucket-access';
import type { Logger } from '../../shared/logger';
import { GcsError } from './errors';
import type { ObjectRecord } from './types';

// Simulated IAM. A request whose bearer token names a registered identity (`sluice-fn:<function>`)
// may do only what that identity's bindings grant, as Cloud Storage decides for a function's service
// account; a request without such a token is the operator's and may do everything (tests, tools,
// the deployment itself). A binding is a predefined object role on one bucket, conditioned on the
// object name starting with `objectPrefix`, exactly the grants infra/ deploys. As in IAM, such a
// condition never matches the bucket itself, so conditioned grants cannot list or touch the bucket.

export type Permission =
  | 'storage.objects.get'
  | 'storage.objects.create'
  | 'storage.objects.delete'
  | 'storage.objects.update'
  | 'storage.objects.list'
  | 'storage.buckets.create'
  | 'storage.buckets.get'
  | 'storage.buckets.list'
  | 'storage.buckets.update'
  | 'storage.buckets.delete';

// The object permissions of the predefined roles (the multipart-upload and folder ones left out).
const ROLE_PERMISSIONS: Record<ObjectRole, ReadonlySet<Permission>> = {
  [OBJECT_ROLES.objectViewer]: new Set(['storage.objects.get', 'storage.objects.list']),
  [OBJECT_ROLES.objectCreator]: new Set(['storage.objects.create']),
  [OBJECT_ROLES.objectUser]: new Set(['storage.objects.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete', 'storage.objects.update']),
};

export const KNOWN_ROLES: readonly string[] = Object.keys(ROLE_PERMISSIONS);

const forbidden = (message: string) => new GcsError(403, message, { domain: 'global', reason: 'forbidden' });

/** What a request may do; the operator's is unrestricted. */
export interface Access {
  /** The identity named by the token; undefined for the operator. */
  identity: string | undefined;
  object(permission: Permission, bucket: string, name: string): void;
  bucket(permission: Permission, bucket: string): void;
  /** Project-level calls (buckets.list, buckets.insert): no object role grants them. */
  project(permission: Permission, project: string): void;
  /**
   * For the moment a write replaces the live object (state.putObject): creating needs
   * storage.objects.create, replacing an existing object also storage.objects.delete, as in GCS.
   * Checked before preconditions, so a caller without delete gets 403 even with ifGenerationMatch=0.
   */
  write(bucket: string, name: string): (previous: ObjectRecord | undefined) => void;
}

const OPERATOR: Access = {
  identity: undefined,
  object() {},
  bucket() {},
  project() {},
  write: () => () => {},
};

/** The identity a request's bearer token names; undefined for the operator (no token, or another one). */
export function identityOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const token = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : '';
  return token.startsWith(LOCAL_IDENTITY_PREFIX) ? token : undefined;
}

export class IamPolicies {
  private identities = new Map<string, ObjectBinding[]>();

  constructor(private readonly logger: Logger) {}

  register(identity: string, bindings: ObjectBinding[]): void {
    this.identities.set(identity, bindings.map((b) => ({ ...b })));
    this.logger.info('gcs identity registered', { identity, bindings: bindings.length });
  }

  remove(identity: string): boolean {
    const removed = this.identities.delete(identity);
    if (removed) this.logger.info('gcs identity removed', { identity });
    return removed;
  }

  list(): Record<string, ObjectBinding[]> {
    return Object.fromEntries(this.identities);
  }

  /** The access of an identity (identityOf a request, or a resumable session's); 403 for one never registered. */
  accessFor(identity: string | undefined): Access {
    if (identity === undefined) return OPERATOR;
    const bindings = this.identities.get(identity);
    if (!bindings) {
      this.logger.warn('gcs access denied', { identity, reason: 'unregistered identity' });
      throw forbidden(`${identity} is not a registered identity: its access was never registered with this emulator, or was removed.`);
    }
    const deny = (permission: Permission, what: string, fields: Record<string, string>) => {
      this.logger.warn('gcs access denied', { identity, permission, ...fields });
      return forbidden(`${identity} does not have ${permission} access to the Google Cloud Storage ${what}. Permission '${permission}' denied on resource (or it may not exist).`);
    };
    const allows = (permission: Permission, bucket: string, name?: string) =>
      bindings.some((b) => b.bucket === bucket && ROLE_PERMISSIONS[b.role].has(permission) && (name === undefined ? b.objectPrefix === '' : name.startsWith(b.objectPrefix)));
    const object = (permission: Permission, bucket: string, name: string) => {
      if (!allows(permission, bucket, name)) throw deny(permission, `object ${bucket}/${name}`, { bucket, object: name });
    };
    return {
      identity,
      object,
      bucket(permission, bucket) {
        if (!allows(permission, bucket)) throw deny(permission, `bucket ${bucket}`, { bucket });
      },
      project(permission, project) {
        throw deny(permission, `project ${project}`, { project });
      },
      write(bucket, name) {
        return (previous) => {
          object('storage.objects.create', bucket, name);
          if (previous) object('storage.objects.delete', bucket, name);
        };
      },
    };
  }
}

/** Validates a registration body: `{ bindings: [{ bucket, role, objectPrefix }] }`. */
export function parseBindings(body: unknown): ObjectBinding[] | string {
  const bindings = (body as { bindings?: unknown } | undefined)?.bindings;
  if (!Array.isArray(bindings)) return 'bindings must be an array';
  const out: ObjectBinding[] = [];
  for (const [i, b] of bindings.entries()) {
    const { bucket, role, objectPrefix } = (b ?? {}) as Record<string, unknown>;
    if (typeof bucket !== 'string' || !bucket) return `bindings[${i}].bucket must be a bucket name`;
    if (typeof role !== 'string' || !KNOWN_ROLES.includes(role)) return `bindings[${i}].role must be one of ${KNOWN_ROLES.join(', ')}`;
    if (typeof objectPrefix !== 'string') return `bindings[${i}].objectPrefix must be a string ('' for the whole bucket)`;
    out.push({ bucket, role: role as ObjectRole, objectPrefix });
  }
  return out;
}
