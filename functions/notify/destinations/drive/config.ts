// The Google Drive destination's configuration: plain data (zod only).
import { z } from 'zod';
import { regex } from '../../../../shared/config-primitives';
import { googleAuthSchema } from '../../../../shared/google-auth-config';

export const driveDestinationSchema = z.object({
  kind: z.literal('drive'),
  // The folder files go to (its id, from the folder's URL). In a shared drive, give `driveId` too.
  folderId: z.string().regex(/^[A-Za-z0-9_-]{5,200}$/, 'must be a Drive folder id (from the folder URL)'),
  driveId: z.string().regex(/^[A-Za-z0-9_-]{5,200}$/).optional(),
  // A subfolder per file, created if missing: {yyyy} {MM} {dd} {yyyyMMdd} {yyyy-MM-dd} from the
  // file's export date. Empty: straight into the folder.
  subfolder: z.string().default(''),
  // 'fetched': every file the run fetched (whatever became of it); 'loaded': only files loaded.
  on: z.enum(['fetched', 'loaded']).default('fetched'),
  // Only files whose base name matches (default: all).
  match: regex.optional(),
  auth: googleAuthSchema,
}).strict();
export type DriveDestination = z.infer<typeof driveDestinationSchema>;
