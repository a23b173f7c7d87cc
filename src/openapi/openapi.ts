import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { RouteTable } from '../access/route-table.js';
import { API_KEY_SCHEME_DESCRIPTION, applyApiKeyPolicies } from '../api-keys/api-key-openapi.js';
import { SECURITY_SCHEMES } from '../auth/auth.decorators.js';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../auth/sessions.service.js';
import { applyOAuthDocument } from '../oauth/oauth-openapi.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';

const DESCRIPTION = `
Portcullis guards a storage provider's REST API and WebDAV mounts. The whole contract (credentials,
ACL rules, every error code, limits, configuration, WebDAV and OAuth) is \`docs/contract.md\` in
the repository; this document describes the REST routes.

**Errors** are JSON \`{ statusCode, error, code, message }\`; \`code\` is part of the contract.
Every response carries an \`X-Request-Id\`.

**Sessions**: \`POST /auth/login\` sets the HttpOnly cookie \`${SESSION_COOKIE}\` and returns a
\`csrfToken\` (also in the readable cookie \`portcullis_csrf\`). State-changing requests made with the
session cookie must send that token in the \`${CSRF_HEADER}\` header (double submit).

**Trying it here**: "Authorize" with *basic* (a sublogin \`customer-name\` and its password, or
your login and one of its app passwords) and *api_key* (your application's key), then "Try it
out" on \`/api/whoami\`, \`/api/file/list\` or \`/api/stat/traffic\`. An *otp* is accepted once:
authorize a fresh one before each call. For *session*, sign in with \`POST /auth/login\` (or the
sign-in page at \`/sign-in\`): the browser keeps the cookie, and this page sends the CSRF token.
`.trim();

/** The OpenAPI document, generated from the code's decorators (committed as openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Portcullis')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'Sublogin password, or one of the account\'s app passwords (contract §4.2). Past a credential\'s expiry → 401 `credential_expired`; outside its allowed address ranges → 403 `address_not_allowed` (contract §4.7)' }, SECURITY_SCHEMES.basic)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'OAuth 2 access token' }, SECURITY_SCHEMES.bearer)
    .addApiKey({ type: 'apiKey', in: 'query', name: 'otp', description: 'One-time password LOGIN:EXPIRE:SALT:AUTH, accepted once: authorize a fresh one before each call' }, SECURITY_SCHEMES.otp)
    .addCookieAuth(
      SESSION_COOKIE,
      {
        type: 'apiKey',
        in: 'cookie',
        name: SESSION_COOKIE,
        description: 'First-party session: sign in with POST /auth/login (or at /sign-in) and the browser sends the cookie by itself. It is HttpOnly, so there is nothing to enter here.',
      },
      SECURITY_SCHEMES.session,
    )
    // The application's API key (contract §4.3); the matrix form `;api_key=KEY` is described with it.
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-KEY', description: API_KEY_SCHEME_DESCRIPTION }, SECURITY_SCHEMES.apiKey)
    .build();
  const document = applyRouteSecurity(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] }), app.get(RouteTable));
  // `@ApiKeyPolicy` routes: the key is ANDed with their non-session security alternatives.
  // The OAuth endpoints are oidc-provider's, not Nest routes: described by the OAuth module.
  return applyOAuthDocument(applyApiKeyPolicies(document));
}

/**
 * Each credential route's security alternatives are the route table's: the methods the access
 * pipeline accepts, in its order. Public routes, and those open to an address allow-list (a
 * scraper authorizes nothing), keep none.
 */
function applyRouteSecurity(document: OpenAPIObject, routes: RouteTable): OpenAPIObject {
  const paths = document.paths as Record<string, Record<string, { security?: Array<Record<string, string[]>> }> | undefined>;
  for (const { method, path, declared } of routes.routes()) {
    const operation = paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[method.toLowerCase()];
    if (!operation || !declared || declared.auth.methods.length === 0 || declared.auth.orFrom) continue;
    // A signed link (`link`) is its own credential, in the path: it adds no security scheme.
    operation.security = declared.auth.methods.flatMap((m) => (m === 'link' ? [] : [{ [SECURITY_SCHEMES[m]]: [] }]));
  }
  return document;
}

export function setupSwaggerUi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: {
      // Not persisted: Swagger UI would keep Basic passwords, API keys and OTPs in localStorage,
      // readable by any script of this origin and left behind on shared machines.
      persistAuthorization: false,
      withCredentials: true,
      requestInterceptor: SWAGGER_REQUEST_INTERCEPTOR,
    },
  });
}

/**
 * Swagger UI's request interceptor, for "Try it out":
 * - with credentials the user authorized (Basic, Bearer, OTP), the request goes without cookies
 *   (`credentials: 'omit'`): it then authenticates as those credentials only, and a 401 shows in
 *   the page instead of making the browser pop up its own password dialog (browsers prompt on a
 *   Basic challenge only for requests that include credentials);
 * - with the session (contract §4.6), state-changing requests need the CSRF token, which the page
 *   reads from the readable cookie and echoes in the header: the API's double submit.
 * Swagger UI gets this as the source text of a function (@nestjs/swagger writes functions in
 * swaggerOptions into swagger-ui-init.js with toString), so it is plain browser JavaScript here,
 * out of reach of the TypeScript compiler and coverage instrumentation.
 */
const SWAGGER_REQUEST_INTERCEPTOR_SOURCE = `function (req) {
  var headers = req.headers || (req.headers = {});
  var explicit = Object.keys(headers).some(function (h) { return h.toLowerCase() === 'authorization'; }) || /[?&]otp=/.test(req.url || '');
  if (explicit) {
    req.credentials = 'omit';
    return req;
  }
  var method = String(req.method || 'GET').toUpperCase();
  var token = /(?:^|;\\s*)${CSRF_COOKIE}=([^;]+)/.exec(document.cookie);
  if (token && method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && !headers['${CSRF_HEADER}']) headers['${CSRF_HEADER}'] = decodeURIComponent(token[1]);
  return req;
}`;
const SWAGGER_REQUEST_INTERCEPTOR = Object.assign((req: unknown) => req, { toString: () => SWAGGER_REQUEST_INTERCEPTOR_SOURCE });
