// The three Google clients a stage uses, created once per function instance. With emulator endpoints
// they talk to the local cloud; without, to Google Cloud with the function's own identity.
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';

export interface GoogleEndpoints {
  projectId: string;
  // host:port of the Pub/Sub emulator.
  pubsubHost?: string;
  // host:port of the Firestore emulator.
  firestoreHost?: string;
  // http://host:port of the Cloud Storage emulator.
  storageUrl?: string;
  firestoreDatabase?: string;
  // Local cloud only (needs storageUrl): the identity the Storage client presents to the emulator,
  // which then allows only what that function's service account would be granted (see
  // shared/bucket-access.ts). Without it the client is the operator and may do everything.
  storageIdentity?: string;
}

export interface GoogleClients {
  pubsub: PubSub;
  firestore: Firestore;
  storage: Storage;
  close(): Promise<void>;
}

export function createGoogleClients(endpoints: GoogleEndpoints): GoogleClients {
  const { projectId } = endpoints;
  const pubsub = endpoints.pubsubHost
    ? new PubSub({ projectId, apiEndpoint: endpoints.pubsubHost, emulatorMode: true })
    : new PubSub({ projectId });
  const firestoreSettings = {
    projectId,
    ...(endpoints.firestoreDatabase ? { databaseId: endpoints.firestoreDatabase } : {}),
    // Run records may carry optional fields that are absent; skip them rather than fail.
    ignoreUndefinedProperties: true,
  };
  const firestore = endpoints.firestoreHost
    ? new Firestore({ ...firestoreSettings, host: endpoints.firestoreHost, ssl: false })
    : new Firestore(firestoreSettings);
  const storage = endpoints.storageUrl ? new Storage({ projectId, apiEndpoint: endpoints.storageUrl }) : new Storage({ projectId });
  if (endpoints.storageIdentity !== undefined) {
    if (!endpoints.storageUrl) throw new Error('storageIdentity is for the Cloud Storage emulator only: set storageUrl too');
    presentIdentity(storage, endpoints.storageIdentity);
  }
  return {
    pubsub,
    firestore,
    storage,
    async close() {
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    },
  };
}

// Every request of this client (JSON API, media/multipart uploads, resumable session requests,
// downloads) carries `Authorization: Bearer <identity>`. A request interceptor rather than an
// authClient: @google-cloud/storage 7 wraps a given authClient in its own google-auth-library 9,
// which merges headers with Object.assign and so drops those of the google-auth-library 10 that
// this repository resolves — the token would silently never be sent. Interceptors reach the
// resumable upload too (as its customRequestOptions).
function presentIdentity(storage: Storage, identity: string): void {
  type Interceptor = Storage['interceptors'][number];
  const authorization = `Bearer ${identity}`;
  storage.interceptors.push({
    // The library's typing says Options in, DecorateRequestOptions out; it passes the latter in.
    request: (reqOpts) => {
      reqOpts.headers = { ...reqOpts.headers, Authorization: authorization };
      return reqOpts as ReturnType<Interceptor['request']>;
    },
  });
}
