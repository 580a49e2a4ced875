// A refresh token Google will never accept again (invalid_grant): only a person signing in again
// mends it, so the run fails at once with one alert saying who must do what. Permanent: retrying
// only spends attempts (and, for an hour after, auth-state.ts answers without asking Google).
import { PermanentError } from '../../../shared/errors';

export interface ReauthorizationDetails {
  pipeline: string;
  // The secret holding the dead refresh token (its name, never its value).
  secret: string;
  // What Google said, e.g. "Token has been expired or revoked." (scrubbed by the caller).
  said?: string;
}

export class ReauthorizationRequiredError extends PermanentError {
  override name = 'ReauthorizationRequiredError';
  readonly pipeline: string;
  readonly secret: string;

  constructor(details: ReauthorizationDetails) {
    super(
      `pipeline "${details.pipeline}": Google no longer accepts the OAuth refresh token in secret "${details.secret}"` +
        ` (invalid_grant${details.said ? `: ${details.said}` : ''}). It was revoked, unused for 6 months, invalidated by a password` +
        ` change (Gmail scopes), or it expired after 7 days because the OAuth consent screen is in "Testing".` +
        ` Fix: run \`npm run auth -- ${details.pipeline}\` and sign in again (publish the consent screen "In production" to stop the 7-day expiry).`,
    );
    this.pipeline = details.pipeline;
    this.secret = details.secret;
  }
}

// By name as well: a bundle may carry two copies of this class.
export function isReauthorizationRequired(error: unknown): error is ReauthorizationRequiredError {
  return error instanceof ReauthorizationRequiredError || (error instanceof Error && error.name === 'ReauthorizationRequiredError');
}
