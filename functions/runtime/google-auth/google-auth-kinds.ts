// The two sign-in kinds of shared/google-auth-config.ts, narrowed, for the builders in this folder.
import type { GoogleAuthConfig } from '../../../shared/google-auth-config';

export type OAuthGoogleAuth = Extract<GoogleAuthConfig, { kind: 'oauth' }>;
export type ServiceAccountGoogleAuth = Extract<GoogleAuthConfig, { kind: 'service-account' }>;
