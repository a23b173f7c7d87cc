import { createPrivateKey } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Provider, { type Client, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { API_SCOPES } from './core/scopes.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthClients } from './oauth-clients.js';
import { deviceConfirmPage, deviceInputPage, deviceSuccessPage, errorPage, PAGE_HEADERS } from './oauth-pages.js';
import { OAuthRevocations } from './oauth-revocations.js';
import { OAuthSubjects } from './oauth-subjects.js';
import { ClientAdapter, GrantCache, TypeOrmOidcAdapter } from './oidc-adapter.js';

/** Where the provider is mounted (oauth-http.ts): its endpoints are `/oauth/token`, `/oauth/auth`, … */
export const OAUTH_PREFIX = '/oauth';
export const INTERACTION_PATH = `${OAUTH_PREFIX}/interaction`;

const HOUR = 3600;
const DAY = 24 * HOUR;
export const ACCESS_TOKEN_TTL = HOUR;
export const REFRESH_TOKEN_TTL = 30 * DAY;
export const GRANT_TTL = 365 * DAY;

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The OAuth 2 authorization server (contract §4.4), oidc-provider 9 configured as a plain OAuth 2.1
 * server for our API:
 *
 * - Issuer = PUBLIC_URL, so RFC 8414 metadata lives at `/.well-known/oauth-authorization-server`
 *   (exactly where contract §4.4 says); the endpoints are under `/oauth/`.
 * - Grants: authorization code with PKCE S256 (required of every client), refresh tokens
 *   (always issued, rotated on every use; reuse revokes the grant), device authorization
 *   (RFC 8628). Revocation (RFC 7009) and introspection (RFC 7662) of a client's own tokens.
 * - One resource server, the API itself (resource indicator = PUBLIC_URL), whose scopes are
 *   API_SCOPES; access tokens are opaque, one hour. A grant lasts a year at most, then the
 *   user consents again; a refresh token 30 days from its last use.
 * - Cookie keys and the (Ed25519) signing key are derived from SECRET_KEY: every instance agrees.
 * - Clients, accounts and persistence are ours: OAuthClients, OAuthSubjects, OAuthArtifactStore.
 */
@Injectable()
export class OAuthProvider {
  private readonly logger = new Logger('OAuth');
  readonly provider: Provider;
  readonly issuer: string;
  /** The resource indicator of the API (RFC 8707): the audience of every access token. */
  readonly resource: string;
  /** Grants remembered between refreshes (see GrantCache). */
  readonly grants: GrantCache;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    keys: KeyRing,
    store: OAuthArtifactStore,
    revocations: OAuthRevocations,
    clients: OAuthClients,
    subjects: OAuthSubjects,
  ) {
    this.issuer = config.publicUrl;
    this.resource = config.publicUrl;
    const clientAdapter = new ClientAdapter((id) => clients.metadata(id));
    this.grants = new GrantCache(config.verifyCacheTtlSeconds * 1000, revocations);
    const adapter = (model: string) => (model === 'Client' ? clientAdapter : new TypeOrmOidcAdapter(model, store, revocations, this.grants));
    const resource = this.resource;

    this.provider = new Provider(this.issuer, {
      adapter,
      async findAccount(_ctx, sub) {
        const subject = await subjects.active(sub);
        return subject ? { accountId: sub, claims: async () => ({ sub }) } : undefined;
      },
      jwks: { keys: [signingKey(keys)] },
      cookies: {
        keys: [keys.hmac('oauth-cookies', 'v1')],
        names: { session: 'portcullis_oauth_session', interaction: 'portcullis_oauth_interaction', resume: 'portcullis_oauth_resume' },
      },
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'Ed25519',
      },
      clientAuthMethods: ['none', 'client_secret_basic'],
      enabledJWA: { idTokenSigningAlgValues: ['Ed25519'] },
      responseTypes: ['code'],
      scopes: ['openid', 'offline_access'],
      claims: { openid: ['sub'] },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        // Sender-constrained tokens would need the resource server to check proofs; ours checks Bearer only.
        dPoP: { enabled: false },
        introspection: {
          enabled: true,
          // A client learns about its own tokens only.
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => resource,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            if (indicator !== resource) throw new errors.InvalidTarget();
            return { scope: API_SCOPES.join(' '), audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: ACCESS_TOKEN_TTL };
          },
        },
        deviceFlow: {
          enabled: true,
          charset: 'base-20',
          mask: '****-****',
          userCodeInputSource: async (ctx, form, _out, err) => {
            // The provider's re-render errors (code not found, expired, used) carry `userCode`; its types do not declare them.
            const error = err ? (('userCode' in err && err.userCode) || err.name === 'NoCodeError' ? 'That code is not valid or has expired. Check it and try again.' : err.name === 'AbortedError' ? 'The request was aborted.' : 'The code could not be checked. Try again.') : undefined;
            render(ctx, deviceInputPage({ action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(ctx, form), error }));
          },
          userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) => {
            const raw = typeof ctx.oidc.params?.user_code === 'string' ? ctx.oidc.params.user_code : userCode;
            render(ctx, deviceConfirmPage({ action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(ctx, form), userCode: raw, displayCode: userCode, clientName: client.clientName ?? client.clientId }));
          },
          successSource: async (ctx) => {
            render(ctx, deviceSuccessPage(ctx.oidc.client?.clientName ?? 'The application'));
          },
        },
      },
      // Browser-based (public) clients may call the token endpoints from the origins of their redirect URIs.
      clientBasedCORS: (_ctx, origin, client) =>
        origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
      // Refresh tokens for every client allowed the grant, without `offline_access` ceremony;
      // tokens outlive the browser session that granted them (they end with the grant).
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      rotateRefreshToken: () => true,
      // Revoking any token of a grant ends the authorization: "connected apps" stays truthful.
      revokeGrantPolicy: () => true,
      ttl: {
        AccessToken: ACCESS_TOKEN_TTL,
        AuthorizationCode: 60,
        DeviceCode: 10 * 60,
        Grant: GRANT_TTL,
        IdToken: HOUR,
        Interaction: HOUR,
        RefreshToken: REFRESH_TOKEN_TTL,
        Session: config.sessionTtlSeconds,
      },
      interactions: { url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      renderError: async (ctx, out) => {
        render(ctx, errorPage('This request cannot be completed', out.error_description ?? out.error ?? 'The request is not valid.'));
      },
    });
    // Koa reads X-Forwarded-*; oauth-http.ts overwrites them with what Fastify concluded under
    // TRUST_PROXY, so a client cannot claim another scheme, host or address.
    this.provider.proxy = true;
    // Client secrets are stored as keyed hashes (OAuthClients); compare the presented one in constant time.
    const compare = (stored: string | undefined, presented: string) => clients.compareSecret(stored, presented);
    this.provider.Client.prototype.compareClientSecret = function compareClientSecret(this: Client, actual: string) {
      return compare(this.clientSecret, actual);
    };
    // RFC 8414 `scopes_supported` lists the API's scopes too (the provider knows only its OpenID ones).
    this.provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route !== 'discovery' || typeof ctx.body !== 'object' || ctx.body === null) return;
      const body = ctx.body as Record<string, unknown>;
      body.scopes_supported = [...API_SCOPES, ...((body.scopes_supported as string[] | undefined) ?? [])];
      body.service_documentation ??= `${this.issuer}/docs`;
    });
    this.provider.on('server_error', (_ctx: unknown, err: unknown) => this.logger.error({ err }, 'OAuth provider error'));
  }
}

/** Provider-rendered pages (device flow, errors) in our layout and with our headers. */
function render(ctx: KoaContextWithOIDC, html: string): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.body = html;
}

/** The provider's form carries the CSRF value it will check (its `xsrf` field); we render our own form around it. */
function xsrfOf(ctx: KoaContextWithOIDC, form: string): string {
  const m = /name="xsrf" value="([^"]*)"/.exec(form);
  return m?.[1] ?? String(ctx.oidc.session?.state?.secret ?? '');
}

/** The ID-token signing key (OpenID clients only), derived from SECRET_KEY so every instance signs alike. */
function signingKey(keys: KeyRing): Record<string, string> {
  const seed = Buffer.from(keys.hmac('oauth-signing-key', 'ed25519:v1'), 'hex');
  const jwk = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as Record<string, string>;
  return { ...jwk, use: 'sig', alg: 'Ed25519' };
}

