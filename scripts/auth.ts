// `npm run auth -- <pipeline> [--check] [--local] ...`: signs a person in for a pipeline's Google
// connectors (Gmail source, Drive destination) and stores the refresh token in its secret, or checks
// the stored one (does it refresh, which scopes). The same secret reader/writer and endpoints as the
// functions, so what this stores is what they read. Never prints a token.
//
//   --local              the local cloud: secrets dir, Firestore emulator and the Google API double
//                        from .sluice/emulator.env (or $SLUICE_DATA_DIR/emulator.env); otherwise
//                        Secret Manager and Firestore of $GOOGLE_CLOUD_PROJECT with your gcloud ADC
//   --secrets-dir DIR    read and write secrets in DIR (implies --local)
//   --project ID         the Google Cloud project (default $GOOGLE_CLOUD_PROJECT)
//   --port N             the loopback port Google redirects to (default: a free one)
//   --check              refresh the stored token once and print its scopes; store nothing new
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Firestore } from '@google-cloud/firestore';
import { OAuth2Client } from 'google-auth-library';
import { readEnvFile } from '../emulator/env-file';
import { createAuthState } from '../functions/runtime/google-auth/auth-state';
import { googleApiAccess } from '../functions/runtime/google-auth/create-google-api-access';
import { googleEndpointsFrom } from '../functions/runtime/google-auth/google-endpoints';
import { classifyGoogleError } from '../functions/runtime/google-auth/google-api-errors';
import { oauthSignInsOf, secretsOfSignIn, type OAuthSignIn } from '../functions/runtime/google-auth/google-scopes';
import { startConsent } from '../functions/runtime/google-auth/installed-app-flow';
import { createSecretReader } from '../functions/runtime/secret-reader';
import type { SecretReader } from '../functions/runtime/context';
import { errorMessage } from '../shared/errors';
import { createGoogleClients } from '../shared/google-clients';
import { createLogger, type Logger } from '../shared/logger';
import type { Pipeline } from '../shared/pipeline-definition';
import { redact } from '../shared/redact';

export interface AuthCommandIo {
  argv: string[];
  env: Record<string, string | undefined>;
  input: Readable;
  output: Writable;
  errors: Writable;
  pipelineNamed(name: string): Pipeline;
  // Where .sluice/ is (the repository by default).
  repoRoot?: string;
}

interface Settings {
  local: boolean;
  projectId: string;
  secretsDir?: string;
  firestoreHost?: string;
  firestoreDatabase?: string;
  localEndpoints: Record<string, unknown>;
  port: number;
  check: boolean;
}

const USAGE = 'usage: npm run auth -- <pipeline> [--check] [--local] [--secrets-dir DIR] [--project ID] [--port N]';

export async function runAuthCommand(io: AuthCommandIo): Promise<number> {
  const say = (line: string) => io.output.write(`${redact(line)}\n`);
  const complain = (line: string) => io.errors.write(`${redact(line)}\n`);
  let settings: Settings;
  let pipeline: Pipeline;
  let signIns: OAuthSignIn[];
  try {
    const { values, positionals } = parseArgs({
      args: io.argv,
      allowPositionals: true,
      options: {
        check: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        'secrets-dir': { type: 'string' },
        project: { type: 'string' },
        port: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new Error(USAGE);
    pipeline = io.pipelineNamed(positionals[0]!);
    signIns = oauthSignInsOf(pipeline);
    if (signIns.length === 0) {
      throw new Error(`pipeline "${pipeline.name}" signs in to no Google API with an OAuth user token (a service account needs no \`npm run auth\`)`);
    }
    settings = settingsFrom(values, io);
  } catch (error) {
    complain(errorMessage(error));
    return 2;
  }
  const logger = createLogger({ component: 'auth' }, (line) => io.errors.write(line + '\n'), 'WARNING');
  const clients = settings.local && !settings.firestoreHost
    ? undefined
    : createGoogleClients({ projectId: settings.projectId, ...(settings.firestoreHost ? { firestoreHost: settings.firestoreHost } : {}), ...(settings.firestoreDatabase ? { firestoreDatabase: settings.firestoreDatabase } : {}) });
  let failed = false;
  try {
    for (const signIn of signIns) {
      const secrets = createSecretReader({
        env: {},
        ...(settings.secretsDir ? { secretsDir: settings.secretsDir } : {}),
        projectId: settings.projectId,
        allowed: secretsOfSignIn(signIn),
        rotatable: [signIn.auth.refreshToken.secret],
      });
      say(`${pipeline.name}: Google sign-in for ${signIn.usedBy.join(', ')} (refresh token in secret "${signIn.auth.refreshToken.secret}", ${settings.secretsDir ? 'local secrets directory' : `Secret Manager in ${settings.projectId}`})`);
      const ok = settings.check
        ? await check(pipeline, signIn, secrets, settings, logger, say, complain)
        : await signInAndStore(pipeline, signIn, secrets, settings, clients?.firestore, io.input, say, complain);
      failed ||= !ok;
    }
  } finally {
    await clients?.close();
  }
  return failed ? 1 : 0;
}

async function signInAndStore(
  pipeline: Pipeline, signIn: OAuthSignIn, secrets: SecretReader, settings: Settings, firestore: Firestore | undefined,
  input: Readable, say: (line: string) => void, complain: (line: string) => void,
): Promise<boolean> {
  const endpoints = googleEndpointsFrom(settings.localEndpoints);
  const { clientId, clientSecret } = signIn.auth;
  const client = new OAuth2Client({
    clientId: await secrets.read(clientId.secret),
    clientSecret: await secrets.read(clientSecret.secret),
    endpoints: { oauth2TokenUrl: endpoints.tokenUrl, oauth2AuthBaseUrl: endpoints.authUrl, tokenInfoUrl: endpoints.tokenInfoUrl },
  });
  const session = await startConsent(client, signIn.scopes, settings.port);
  const lines = createInterface({ input, terminal: false });
  try {
    say('Open this address in a browser signed in as the Google account the pipeline should use:');
    say('');
    // Printed as is: the address carries no secret (client id, scopes, state, the PKCE challenge).
    say(session.url);
    say('');
    say(`Waiting for Google to send the browser back to ${session.redirectUri}.`);
    say('If the browser runs on another machine that page will not load: copy the address it shows and paste it here (or just the code), then press Enter.');
    const pasted = new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        try {
          resolve(session.codeFromPasted(line));
        } catch (error) {
          complain(errorMessage(error));
        }
      });
      lines.once('close', () => reject(new Error('no code was pasted and the browser did not come back')));
    });
    pasted.catch(() => undefined);
    const code = await Promise.race([session.redirected, pasted]);
    const { refreshToken, scopes } = await session.exchange(code);
    const missing = signIn.scopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      complain(`Google granted only some of the access asked for; missing: ${missing.join(' ')}. Run the command again and tick every box on the consent screen.`);
      return false;
    }
    await secrets.rotate!(signIn.auth.refreshToken.secret, refreshToken);
    say(`Stored the refresh token in secret "${signIn.auth.refreshToken.secret}"; granted: ${scopes.join(' ')}`);
    if (firestore) {
      await createAuthState(firestore).clear(signIn.auth.refreshToken.secret);
    } else {
      say('(no Firestore emulator in the settings: a refusal remembered within the last hour is not cleared; the new token is tried anyway)');
    }
    return true;
  } catch (error) {
    complain(`sign-in failed: ${errorMessage(classifyGoogleError(error, { pipeline: pipeline.name, doing: 'exchanging the authorization code', clientSecrets: [clientId.secret, clientSecret.secret] }))}`);
    return false;
  } finally {
    lines.close();
    await session.close();
  }
}

async function check(
  pipeline: Pipeline, signIn: OAuthSignIn, secrets: SecretReader, settings: Settings, logger: Logger,
  say: (line: string) => void, complain: (line: string) => void,
): Promise<boolean> {
  try {
    // No Firestore: a check asks Google even within the hour after a refusal.
    const access = await googleApiAccess({ pipeline: pipeline.name, config: signIn.auth, scopes: signIn.scopes, secrets, localEndpoints: settings.localEndpoints, logger });
    const client = access.auth as OAuth2Client;
    const { token } = await client.getAccessToken();
    const info = await client.getTokenInfo(token!);
    await access.settled?.();
    const missing = signIn.scopes.filter((scope) => !info.scopes.includes(scope));
    say(`refreshes: yes (access token valid until ${new Date(info.expiry_date).toISOString()})`);
    say(`scopes granted: ${info.scopes.join(' ') || '(none)'}`);
    if (missing.length > 0) {
      complain(`missing scopes: ${missing.join(' ')}: run \`npm run auth -- ${pipeline.name}\` and tick every box`);
      return false;
    }
    return true;
  } catch (error) {
    complain(`refreshes: no: ${errorMessage(error)}`);
    return false;
  }
}

function settingsFrom(values: { check?: boolean; local?: boolean; 'secrets-dir'?: string; project?: string; port?: string }, io: AuthCommandIo): Settings {
  const local = Boolean(values.local || values['secrets-dir']);
  let env = io.env;
  if (local) {
    const repoRoot = io.repoRoot ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const envFile = path.join(path.resolve(io.env.SLUICE_DATA_DIR || path.join(repoRoot, '.sluice')), 'emulator.env');
    // The local cloud's own settings win over the shell's (which may name a real project).
    if (existsSync(envFile)) env = { ...io.env, ...readEnvFile(envFile) };
    else if (!values['secrets-dir']) throw new Error(`--local: ${envFile} does not exist; start the local cloud first (npm run emulator)`);
  }
  const projectId = values.project ?? env.GOOGLE_CLOUD_PROJECT;
  if (!projectId) throw new Error('--project or GOOGLE_CLOUD_PROJECT: which Google Cloud project holds the secrets');
  const secretsDir = values['secrets-dir'] ?? (local ? env.SLUICE_SECRETS_DIR : undefined);
  if (local && !secretsDir) throw new Error('--local: the local cloud settings name no SLUICE_SECRETS_DIR');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port: a port number');
  let localEndpoints: Record<string, unknown> = {};
  if (local && env.SLUICE_LOCAL_ENDPOINTS) {
    try {
      localEndpoints = JSON.parse(env.SLUICE_LOCAL_ENDPOINTS) as Record<string, unknown>;
    } catch {
      throw new Error('SLUICE_LOCAL_ENDPOINTS: must be a JSON object');
    }
  }
  return {
    local,
    projectId,
    ...(secretsDir ? { secretsDir } : {}),
    ...(local && env.FIRESTORE_EMULATOR_HOST ? { firestoreHost: env.FIRESTORE_EMULATOR_HOST } : {}),
    ...(env.SLUICE_FIRESTORE_DATABASE && env.SLUICE_FIRESTORE_DATABASE !== '(default)' ? { firestoreDatabase: env.SLUICE_FIRESTORE_DATABASE } : {}),
    localEndpoints,
    port,
    check: values.check ?? false,
  };
}

// Run as a script (not when a test imports it).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { pipelineNamed } = await import('../pipelines/index');
  const code = await runAuthCommand({ argv: process.argv.slice(2), env: process.env, input: process.stdin, output: process.stdout, errors: process.stderr, pipelineNamed });
  process.exit(code);
}
