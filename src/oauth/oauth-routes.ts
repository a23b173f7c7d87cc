import { METADATA_PATHS } from './oauth-http.js';
import { OAUTH_PREFIX } from './oauth-provider.js';

/** A route served outside Nest's controllers, as the route table lists it. */
export interface MountedRoute {
  readonly method: string;
  readonly path: string;
  /** What serves it. */
  readonly handler: string;
  /** Who may call it, in the route table's words. */
  readonly access: string;
}

/**
 * The routes mountOAuthProvider (oauth-http.ts) hands to oidc-provider, for the route table: the
 * provider decides their access (client authentication at its endpoints, our sign-in pages for
 * the user, over TLS); the metadata is public. oauth-routes.spec.ts checks them against the mount.
 */
export const OAUTH_MOUNTED_ROUTES: readonly MountedRoute[] = [
  ...['GET', 'POST', 'OPTIONS'].map((method) => ({ method, path: `${OAUTH_PREFIX}/*`, handler: 'oidc-provider', access: 'oidc-provider' })),
  ...METADATA_PATHS.flatMap((path) => ['GET', 'OPTIONS'].map((method) => ({ method, path, handler: 'oidc-provider', access: 'public' }))),
];
