import type { OpenAPIObject } from '@nestjs/swagger';
import { SECURITY_SCHEMES } from '../auth/auth.decorators.js';
import { API_SCOPES, describeScope } from './core/scopes.js';
import { ACCESS_TOKEN_TTL, OAUTH_PREFIX } from './oauth-provider.js';

type Operation = Record<string, unknown>;

const TAG = 'oauth';
const form = (properties: Record<string, { type: string; description: string; enum?: string[] }>, required: string[]) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties, required } } },
});
const json = (description: string, properties: Record<string, unknown> = {}) => ({ description, content: { 'application/json': { schema: { type: 'object', properties } } } });
const oauthError = json('OAuth error (RFC 6749 §5.2): `invalid_request`, `invalid_client` (401), `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`', {
  error: { type: 'string' },
  error_description: { type: 'string' },
});
const clientAuth = {
  client_id: { type: 'string', description: 'The application id (public clients; confidential clients authenticate with HTTP Basic client_id:client_secret instead)' },
};

/**
 * The authorization server's endpoints in the OpenAPI document (contract §1: every route is in it).
 * They are served by oidc-provider, not by Nest controllers, so they are described here, and the
 * Bearer scheme says how to get a token. Called from openapi.ts on the finished document.
 */
export function applyOAuthDocument(document: OpenAPIObject): OpenAPIObject {
  const scopes = API_SCOPES.map((s) => `\`${s}\` (${describeScope(s)})`).join('; ');
  const bearer = document.components?.securitySchemes?.[SECURITY_SCHEMES.bearer] as { description?: string; bearerFormat?: string } | undefined;
  if (bearer) {
    delete bearer.bearerFormat; // not a JWT: our access tokens are opaque
    bearer.description = [
      `OAuth 2 access token of an approved application (opaque, ${ACCESS_TOKEN_TTL / 60} minutes): authorization code with PKCE S256 at \`${OAUTH_PREFIX}/auth\`,`,
      `or the device flow at \`${OAUTH_PREFIX}/device/auth\`; then \`${OAUTH_PREFIX}/token\`. Metadata: \`/.well-known/oauth-authorization-server\`.`,
      `Scopes: ${scopes}. A token's rights are its scopes intersected with the granting user's (a sublogin's token never exceeds the sublogin).`,
      'Errors (RFC 6750): 401 `invalid_token`, 403 `insufficient_scope` with the scope needed in `WWW-Authenticate`.',
    ].join(' ');
  }
  document.tags = [...(document.tags ?? []), { name: TAG, description: 'OAuth 2 authorization server (contract §4.4, docs/contract.md), served by oidc-provider under /oauth/' }];
  const paths = document.paths as Record<string, Record<string, Operation>>;
  paths['/.well-known/oauth-authorization-server'] = {
    get: {
      tags: [TAG],
      summary: 'Authorization server metadata (RFC 8414); the issuer is PUBLIC_URL',
      responses: { 200: json('The metadata', { issuer: { type: 'string' }, authorization_endpoint: { type: 'string' }, token_endpoint: { type: 'string' }, scopes_supported: { type: 'array', items: { type: 'string' } } }) },
    },
  };
  paths[`${OAUTH_PREFIX}/auth`] = {
    get: {
      tags: [TAG],
      summary: 'Authorization endpoint: the user signs in and consents on our pages, then returns to redirect_uri with a code',
      parameters: [
        ['response_type', 'code', true],
        ['client_id', 'The application id', true],
        ['redirect_uri', 'One of the application\'s registered redirect URIs, exactly', false],
        ['scope', `Space-separated: ${API_SCOPES.join(' ')}`, true],
        ['state', 'Opaque value echoed back', false],
        ['code_challenge', 'PKCE S256 challenge (required)', true],
        ['code_challenge_method', 'S256', true],
      ].map(([name, description, required]) => ({ name, in: 'query', required, description, schema: { type: 'string' } })),
      responses: { 200: { description: 'The sign-in or consent page (HTML)' }, 303: { description: 'Back to redirect_uri with `code` and `state`, or with `error`' }, 400: { description: 'An error page: unknown client, unregistered redirect_uri' } },
    },
  };
  paths[`${OAUTH_PREFIX}/token`] = {
    post: {
      tags: [TAG],
      summary: 'Token endpoint: authorization_code (+ code_verifier), refresh_token (rotated on every use; reuse revokes the grant), device_code',
      requestBody: form(
        {
          grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'], description: 'The grant' },
          code: { type: 'string', description: 'authorization_code' },
          redirect_uri: { type: 'string', description: 'authorization_code: as in the authorization request' },
          code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier' },
          refresh_token: { type: 'string', description: 'refresh_token' },
          device_code: { type: 'string', description: 'device_code' },
          ...clientAuth,
        },
        ['grant_type'],
      ),
      responses: {
        200: json('Tokens', { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, refresh_token: { type: 'string' }, scope: { type: 'string' } }),
        400: oauthError,
        401: oauthError,
      },
    },
  };
  paths[`${OAUTH_PREFIX}/device/auth`] = {
    post: {
      tags: [TAG],
      summary: 'Device authorization (RFC 8628): a user code to enter at verification_uri, and a device_code to poll the token endpoint with',
      requestBody: form({ scope: { type: 'string', description: 'Space-separated scopes' }, ...clientAuth }, []),
      responses: { 200: json('The codes', { device_code: { type: 'string' }, user_code: { type: 'string' }, verification_uri: { type: 'string' }, verification_uri_complete: { type: 'string' }, expires_in: { type: 'integer' }, interval: { type: 'integer' } }), 400: oauthError },
    },
  };
  paths[`${OAUTH_PREFIX}/token/revocation`] = {
    post: {
      tags: [TAG],
      summary: 'Revocation (RFC 7009) of one of the client\'s own tokens; it ends the whole authorization, at once on every instance',
      requestBody: form({ token: { type: 'string', description: 'An access or refresh token' }, token_type_hint: { type: 'string', description: 'access_token or refresh_token' }, ...clientAuth }, ['token']),
      responses: { 200: { description: 'Revoked (or was not valid)' }, 400: oauthError, 401: oauthError },
    },
  };
  paths[`${OAUTH_PREFIX}/token/introspection`] = {
    post: {
      tags: [TAG],
      summary: 'Introspection (RFC 7662) of one of the client\'s own tokens',
      requestBody: form({ token: { type: 'string', description: 'An access or refresh token' }, token_type_hint: { type: 'string', description: 'access_token or refresh_token' }, ...clientAuth }, ['token']),
      responses: { 200: json('`{ active: false }`, or the token\'s details', { active: { type: 'boolean' }, scope: { type: 'string' }, client_id: { type: 'string' }, sub: { type: 'string' }, exp: { type: 'integer' } }), 400: oauthError, 401: oauthError },
    },
  };
  return document;
}
