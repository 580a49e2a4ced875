// The contract between the Google Workspace connectors (Gmail source, Drive destination) and the
// sign-in code in this folder: hand in the connector's `auth` config and the scopes it needs, get
// back a client to pass as `auth` to googleapis and the root URL to pass as `rootUrl` (Google's in
// the cloud, the local Google API double in the local cloud; media uploads take it per call).
// Failures leave as ReauthorizationRequiredError (permanent: a person must sign in again) or as the
// dependency's own transient/permanent errors (google-api-errors.ts).
import type { AuthClient } from 'google-auth-library';
import type { Firestore } from '@google-cloud/firestore';
import type { Logger } from '../../../shared/logger';
import type { Redactor } from '../../../shared/redact';
import type { GoogleAuthConfig } from '../../../shared/google-auth-config';
import type { SecretReader } from '../context';

export interface GoogleApiAccess {
  auth: AuthClient;
  // 'https://www.googleapis.com/' in the cloud; the double's root (with trailing /) locally.
  rootUrl: string;
  // Printable, never secret: "OAuth refresh token in secret \"finance-gmail-token\"".
  describe: string;
  // Resolves once every refresh token Google rotated so far is stored (or its failure logged):
  // the auth command and tests wait on it; a stage need not.
  settled?(): Promise<void>;
}

export interface GoogleApiAccessOptions {
  pipeline: string;
  config: GoogleAuthConfig;
  scopes: string[];
  // Reads the client id/secret/refresh token; `rotate` (when the stage may) stores a refresh token
  // Google rotated as the secret's next version.
  secrets: SecretReader;
  // SLUICE_LOCAL_ENDPOINTS: its `google` entry ({ apiRoot, tokenUrl, authUrl }) points everything at
  // the local double.
  localEndpoints: Readonly<Record<string, unknown>>;
  // Where a dead refresh token is remembered, so runs within the hour fail at once without asking Google.
  firestore?: Firestore;
  logger: Logger;
  // Where tokens are registered for scrubbing; the process's own by default.
  redactor?: Redactor;
  // The clock the one-hour memory of a refused token is judged by (tests move it).
  now?: () => number;
}

// Implemented by create-google-api-access.ts (googleApiAccess).
export type GoogleApiAccessFactory = (options: GoogleApiAccessOptions) => Promise<GoogleApiAccess>;
