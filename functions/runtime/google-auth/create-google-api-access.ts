// googleApiAccess: the connectors' one way in to Google APIs (contract in google-api-access.ts).
// Picks the builder for the config's sign-in kind; where Google is comes from google-endpoints.ts.
import type { GoogleAuthConfig } from '../../../shared/google-auth-config';
import { createAuthState } from './auth-state';
import type { GoogleApiAccess, GoogleApiAccessFactory, GoogleApiAccessOptions } from './google-api-access';
import type { OAuthGoogleAuth, ServiceAccountGoogleAuth } from './google-auth-kinds';
import { googleEndpointsFrom, type GoogleEndpoints } from './google-endpoints';
import { oauthUserAccess } from './oauth-user-access';
import { serviceAccountAccess } from './service-account-access';

type Builder = (options: GoogleApiAccessOptions, endpoints: GoogleEndpoints) => Promise<GoogleApiAccess>;

const builders: { [K in GoogleAuthConfig['kind']]: Builder } = {
  oauth: (options, endpoints) =>
    oauthUserAccess(options, options.config as OAuthGoogleAuth, endpoints, options.firestore ? createAuthState(options.firestore, options.now) : undefined),
  'service-account': (options, endpoints) => serviceAccountAccess(options, options.config as ServiceAccountGoogleAuth, endpoints),
};

export const googleApiAccess: GoogleApiAccessFactory = async (options) => builders[options.config.kind](options, googleEndpointsFrom(options.localEndpoints));
