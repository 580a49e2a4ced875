// The settings a stage function runs with, parsed once from an `env` object (process.env in the
// cloud; an explicit object in tests and the local cloud). A bad value fails start-up naming the field.
import { z } from 'zod';

// SLUICE_LOCAL_ENDPOINTS as every function (stages and ops) reads it: a JSON object, or {} when unset.
export const localEndpointsSetting = z.string().optional().transform((text, ctx) => {
  if (text === undefined || text === '') return {} as Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch { /* reported below */ }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
  return z.NEVER;
});

export const runtimeConfigSchema = z.object({
  SLUICE_PIPELINE: z.string().min(1),
  SLUICE_STAGE: z.enum(['fetch', 'transform', 'load', 'aggregate', 'notify']),
  // Prefix of every topic and function name of this deployment.
  SLUICE_PREFIX: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/).default('sluice'),
  SLUICE_BUCKET: z.string().min(3),
  GOOGLE_CLOUD_PROJECT: z.string().min(1),
  SLUICE_FIRESTORE_DATABASE: z.string().default('(default)'),
  // Where secrets come from when no SLUICE_SECRET_* variable holds them: Secret Manager in the cloud,
  // a directory of files in the local cloud.
  SLUICE_SECRETS_DIR: z.string().optional(),
  // Local cloud only, never set in the cloud: where the local stand-ins of outside services are, as a
  // JSON object with one entry per kind of connector ({"sftp": {...}, "google": {...}}). Each
  // connector parses its own entry (its shape is the connector's business, not the runtime's).
  SLUICE_LOCAL_ENDPOINTS: localEndpointsSetting,
  // The ops dashboard (https://…/ui/), for the links in alerts; notify only. Unset: alerts carry the
  // retry command but no link.
  SLUICE_DASHBOARD_URL: z.string().url().optional(),
  // Emulator endpoints; when set the clients talk to them instead of Google Cloud.
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  STORAGE_EMULATOR_HOST: z.string().url().optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']).default('INFO'),
});

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseRuntimeConfig(env: Record<string, string | undefined>): RuntimeConfig {
  const parsed = runtimeConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
