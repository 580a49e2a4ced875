// One Drive upload in a process of its own, so its peak RSS is the upload's: the object streamed from
// the GCS emulator through the Drive destination's resumable upload to the Google API double, signed
// in as the destination signs in (googleApiAccess, user OAuth). Prints one JSON line.
import { Storage } from '@google-cloud/storage';
import { objectContent } from '../functions/notify/destinations/drive/object-content';
import { DEFAULT_CHUNK_BYTES, resumableUpload } from '../functions/notify/destinations/drive/resumable-upload';
import { googleApiAccess } from '../functions/runtime/google-auth/create-google-api-access';
import { GOOGLE_SCOPES } from '../functions/runtime/google-auth/google-scopes';
import { silentLogger } from '../shared/logger';

export interface DriveWorkerInput {
  storageUrl: string;
  bucket: string;
  object: string;
  google: { apiRoot: string; tokenUrl: string; authUrl: string };
  secrets: Record<string, string>;
  folderId: string;
  // Read the object only (the baseline), or upload it.
  mode: 'read' | 'upload';
  chunkBytes?: number;
}

export interface DriveWorkerOutput { seconds: number; bytes: number; peakRssMB: number; fileId?: string }

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as DriveWorkerInput;
  const storage = new Storage({ projectId: 'sluice-bench', apiEndpoint: input.storageUrl });
  const started = performance.now();
  // The hash is fetch's in a run (given here): the bench measures the upload, not a second read.
  const content = await objectContent(storage, input.bucket, input.object, { sha256: '0'.repeat(64) });
  let fileId: string | undefined;
  if (input.mode === 'read') {
    for await (const chunk of content.open()) void chunk;
  } else {
    const access = await googleApiAccess({
      pipeline: 'bench',
      config: { kind: 'oauth', clientId: { secret: 'client-id' }, clientSecret: { secret: 'client-secret' }, refreshToken: { secret: 'refresh-token' } },
      scopes: [...GOOGLE_SCOPES.drive!],
      secrets: { read: async (name) => input.secrets[name] ?? '' },
      localEndpoints: { google: input.google },
      logger: silentLogger,
    });
    let session: string | undefined;
    const { file } = await resumableUpload({
      access,
      metadata: { name: 'bench.bin', parents: [input.folderId], appProperties: { sha256: content.sha256 } },
      mimeType: 'application/octet-stream',
      total: content.size,
      open: (start) => content.open(start),
      session: { load: async () => session, save: async (uri) => { session = uri; } },
      chunkBytes: input.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      fields: 'id,size',
    });
    fileId = file.id;
  }
  const seconds = (performance.now() - started) / 1000;
  const output: DriveWorkerOutput = { seconds, bytes: content.size, peakRssMB: process.resourceUsage().maxRSS / 1024, ...(fileId ? { fileId } : {}) };
  process.stdout.write(JSON.stringify(output) + '\n');
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
