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
  return {
    pubsub,
    firestore,
    storage,
    async close() {
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    },
  };
}
