import { gcsErrors } from './errors';

// Query parameters Cloud Storage honours on an operation but the emulator does not: a request
// carrying one is refused with 501 naming it, so a call that depends on it fails here as loudly as
// it would behave differently on Google Cloud. Parameters that change nothing locally are
// accepted: userProject (billing), projection (ACLs are never rendered), prettyPrint, quotaUser,
// maxBytesRewrittenPerCall (a rewrite always completes in one call, which GCS may also do).

export type Operation =
  | 'objects.list'
  | 'objects.get'
  | 'objects.insert'
  | 'objects.patch'
  | 'objects.delete'
  | 'objects.rewrite'
  | 'objects.compose'
  | 'buckets.insert'
  | 'buckets.patch';

const REFUSED: Record<Operation, readonly string[]> = {
  'objects.list': ['includeFoldersAsPrefixes', 'includeManagedFolders', 'softDeleted', 'filter'],
  'objects.get': ['softDeleted', 'restoreToken'],
  'objects.insert': ['kmsKeyName', 'predefinedAcl', 'contentEncoding'],
  'objects.patch': ['predefinedAcl', 'overrideUnlockedRetention'],
  'objects.delete': [],
  'objects.rewrite': ['destinationKmsKeyName', 'destinationPredefinedAcl', 'rewriteToken'],
  'objects.compose': ['kmsKeyName', 'destinationPredefinedAcl'],
  'buckets.insert': ['predefinedAcl', 'predefinedDefaultObjectAcl', 'enableObjectRetention'],
  'buckets.patch': ['predefinedAcl', 'predefinedDefaultObjectAcl'],
};

/** Throws 501 for the first refused parameter present on a request for `operation`. */
export function refuseUnsupported(query: URLSearchParams, operation: Operation): void {
  for (const name of REFUSED[operation]) {
    if (query.has(name)) throw gcsErrors.notImplemented(`the ${name} query parameter of ${operation}`);
  }
}
