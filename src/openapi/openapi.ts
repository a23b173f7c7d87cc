import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME_DESCRIPTION, applyApiKeyPolicies } from '../api-keys/api-key-openapi.js';
import { SECURITY_SCHEMES } from '../auth/auth.decorators.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../auth/sessions.service.js';
import { ErrorResponseDto } from './error-response.dto.js';

const DESCRIPTION = `
Portcullis guards a storage provider's REST API and WebDAV mounts.

**Errors** are JSON \`{ statusCode, error, code, message }\`; \`code\` is part of the contract.
Every response carries an \`X-Request-Id\`.

**Sessions**: \`POST /auth/login\` sets the HttpOnly cookie \`${SESSION_COOKIE}\` and returns a
\`csrfToken\` (also in the readable cookie \`portcullis_csrf\`). State-changing requests made with the
session cookie must send that token in the \`${CSRF_HEADER}\` header (double submit).
`.trim();

/** The OpenAPI document, generated from the code's decorators (committed as openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Portcullis')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'Sublogin password, or the account\'s app-connection password' }, SECURITY_SCHEMES.basic)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'OAuth 2 access token' }, SECURITY_SCHEMES.bearer)
    .addApiKey({ type: 'apiKey', in: 'query', name: 'otp', description: 'One-time password LOGIN:EXPIRE:SALT:AUTH' }, SECURITY_SCHEMES.otp)
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'First-party session (POST /auth/login)' }, SECURITY_SCHEMES.session)
    // The application's API key (SPEC §4.3); the matrix form `;api_key=KEY` is described with it.
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-KEY', description: API_KEY_SCHEME_DESCRIPTION }, SECURITY_SCHEMES.apiKey)
    .build();
  // `@ApiKeyPolicy` routes: the key is ANDed with their non-session security alternatives.
  return applyApiKeyPolicies(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] }));
}

export function setupSwaggerUi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: true, withCredentials: true },
  });
}
