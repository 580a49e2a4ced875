// The ops function's settings, parsed once from its environment (process.env in the cloud, an
// explicit object in the local cloud and tests). A bad value fails start-up naming the field.
import { z } from 'zod';
import { issueLines } from '../../shared/zod-issues';
import { localEndpointsSetting } from '../../shared/runtime-config';

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const csvUrls = z.string().optional().transform((text, ctx) => {
  const urls = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const url of urls) if (!/^https?:\/\/[^\s/]+/.test(url)) ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` });
  return urls;
});

export const opsConfigSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1),
  SLUICE_PREFIX: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/).default('sluice'),
  SLUICE_BUCKET: z.string().min(3),
  // Where the scheduler jobs are (Cloud Scheduler's location): the Pulumi program's gcp:region.
  SLUICE_REGION: z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'must be a region such as europe-west1').optional(),
  SLUICE_FIRESTORE_DATABASE: z.string().default('(default)'),
  SLUICE_SECRETS_DIR: z.string().optional(),
  // Local cloud only (see shared/runtime-config.ts): the connectors' local stand-ins, as JSON.
  SLUICE_LOCAL_ENDPOINTS: localEndpointsSetting,
  PUBSUB_EMULATOR_HOST: hostPort.optional(),
  FIRESTORE_EMULATOR_HOST: hostPort.optional(),
  STORAGE_EMULATOR_HOST: z.url({ protocol: /^https?$/ }).optional(),
  // The audiences a caller's Google ID token may name: this function's URL(s). Default, with a
  // region: https://<region>-<project>.cloudfunctions.net/<prefix>-ops.
  SLUICE_OPS_AUDIENCES: csvUrls,
  // Local cloud only: where the ID tokens' signing certificates are (the Google API double's).
  SLUICE_OPS_CERTS_URL: z.url({ protocol: /^https?$/ }).optional(),
  // Local cloud only: the dev token `npm start` prints (operator `dev`). At least 16 characters.
  SLUICE_OPS_DEV_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The dashboard's public URL for links; default: pipelines/ops.ts dashboardUrl, else the first audience's /ui/.
  SLUICE_DASHBOARD_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']).default('INFO'),
}).superRefine((config, ctx) => {
  // A dev token or a certs override in the cloud would let anyone who learns one act as an
  // operator, or sign their own tokens: both are refused unless the function runs on the emulators.
  const local = config.FIRESTORE_EMULATOR_HOST !== undefined;
  if (!local && config.SLUICE_OPS_DEV_TOKEN !== undefined) ctx.addIssue({ code: 'custom', path: ['SLUICE_OPS_DEV_TOKEN'], message: 'is for the local cloud only (FIRESTORE_EMULATOR_HOST unset)' });
  if (!local && config.SLUICE_OPS_CERTS_URL !== undefined) ctx.addIssue({ code: 'custom', path: ['SLUICE_OPS_CERTS_URL'], message: 'is for the local cloud only (FIRESTORE_EMULATOR_HOST unset)' });
  if (!local && config.SLUICE_REGION === undefined) ctx.addIssue({ code: 'custom', path: ['SLUICE_REGION'], message: 'is required in the cloud (the scheduler jobs\' location)' });
});

export type OpsConfig = z.infer<typeof opsConfigSchema>;

export class OpsConfigError extends Error {
  override name = 'OpsConfigError';
}

export function parseOpsConfig(env: Record<string, string | undefined>): OpsConfig {
  const relevant = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = opsConfigSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error);
  throw new OpsConfigError(`invalid ops configuration: ${problems.join('; ')}`);
}

// The function's own URL(s), the audiences its callers' ID tokens must name.
export function audiencesOf(config: OpsConfig): string[] {
  if (config.SLUICE_OPS_AUDIENCES.length > 0) return config.SLUICE_OPS_AUDIENCES;
  if (config.SLUICE_REGION) return [`https://${config.SLUICE_REGION}-${config.GOOGLE_CLOUD_PROJECT}.cloudfunctions.net/${opsFunctionName(config.SLUICE_PREFIX)}`];
  return [];
}

// The deployed function's name (infra creates it so).
export const opsFunctionName = (prefix: string) => `${prefix}-ops`;
