// The SFTP source's configuration: plain data (zod only), read by the definition, the runtime part
// beside it (connector.ts) and the Pulumi program.
import { z } from 'zod';
import { secretRef } from '../../../../shared/config-primitives';

export const sftpSourceSchema = z.object({
  kind: z.literal('sftp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  password: secretRef.optional(),
  privateKey: secretRef.optional(),
  // Pinned host key: "SHA256:<base64>" as `ssh-keygen -lf` prints it. Connections to any other key are refused.
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be "SHA256:" followed by 43 base64 characters'),
  // Directory template; {yyyy} {MM} {dd} {yyyyMMdd} {yyyy-MM-dd} are the export date in the schedule's time zone,
  // any other {name} comes from `params`.
  path: z.string().min(1),
  params: z.record(z.string(), z.string()).default({}),
  // Which files in that directory to take (picomatch glob on the base name).
  glob: z.string().default('*'),
  // The export date is "today" plus this many days in the pipeline's time zone (-1: yesterday's export).
  dateOffsetDays: z.number().int().min(-366).max(0).default(0),
  // How many export dates, ending at that date, each run looks at: a run after a missed night picks
  // up the missed export too. Files already fetched are skipped.
  lookbackDays: z.number().int().min(1).max(31).default(1),
  // How a changed file is told from one already fetched. 'metadata': by size and modification time as
  // the listing gives them (SFTP v3: whole seconds), so an edit keeping both is not seen. 'content': by
  // the SHA-256 of the bytes, which reads every listed file once more on every run to hash it.
  changeDetection: z.enum(['metadata', 'content']).default('metadata'),
}).strict().refine((s) => s.password !== undefined || s.privateKey !== undefined, {
  message: 'an SFTP source needs a password or a privateKey secret',
  path: ['password'],
});
export type SftpSource = z.infer<typeof sftpSourceSchema>;

// The SFTP source of a pipeline known to read one (the demo, its tests and benches); throws otherwise.
export function sftpSourceOf(pipeline: { name: string; source: { kind: string } }): SftpSource {
  if (pipeline.source.kind !== 'sftp') throw new Error(`pipeline "${pipeline.name}" reads a ${pipeline.source.kind} source, not sftp`);
  return pipeline.source as SftpSource;
}
