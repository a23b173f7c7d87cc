import type { OpenAPIObject } from '@nestjs/swagger';
import { type ApiKeyRequirement, SECURITY_SCHEMES } from '../auth/auth.decorators.js';
import { API_KEY_EXTENSION } from './api-key-policy.decorator.js';

/** The `api_key` security scheme's description, also read in Swagger UI's "Authorize" dialog. */
export const API_KEY_SCHEME_DESCRIPTION = [
  "The application's API key: 32 upper-case hex digits, shown to its developer once (`POST /api/apps/{id}/key`).",
  'Send it in `X-API-KEY` (or any header in `API_KEY_HEADERS`, default also `X-TeraCLOUD-API-KEY`),',
  'or as a matrix parameter on any path segment: `/api;api_key=KEY/file/list` or `/api/file/list;api_key=KEY`',
  '(matrix parameters are removed before routing; a literal `;` in a name must be sent as `%3B`).',
  'Values sent in several places must agree.',
].join(' ');

const NOTE: Record<ApiKeyRequirement, string> = {
  required:
    '**API key required** with Basic, Bearer and OTP credentials (not with the session): missing → 401 `api_key_required`; not 32 upper-case hex digits, or differing values → 400 `api_key_malformed`; unknown, replaced or application not approved → 403 `api_key_invalid`; past the expiry its developer set → 401 `credential_expired`, outside its allowed address ranges → 403 `address_not_allowed`; application blocked by this account → 403 `api_key_blocked`.',
  optional:
    '**API key optional**: checked when sent, and then names the application (400 `api_key_malformed`, 403 `api_key_invalid`, 401 `credential_expired`, 403 `address_not_allowed`, 403 `api_key_blocked`).',
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Turns each `@ApiKeyPolicy` (carried into the document as `x-api-key`) into OpenAPI security:
 * a required key is ANDed with every non-session alternative (`{ basic, api_key }`), an
 * optional one adds such alternatives beside the plain ones. Done on the finished document
 * because the route's own security alternatives (from `@Auth`) are known only then,
 * whatever order the decorators were written in.
 */
export function applyApiKeyPolicies(document: OpenAPIObject): OpenAPIObject {
  const key = SECURITY_SCHEMES.apiKey;
  const isSession = (alt: Record<string, string[]>) => SECURITY_SCHEMES.session in alt;
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as (typeof item)[typeof method] & { [API_KEY_EXTENSION]?: ApiKeyRequirement };
      const policy = op?.[API_KEY_EXTENSION];
      if (!op || !policy) continue;
      const alternatives = op.security ?? [];
      const withKey = alternatives.filter((alt) => !isSession(alt)).map((alt) => ({ ...alt, [key]: [] }));
      op.security = policy === 'required' ? [...withKey, ...alternatives.filter(isSession)] : [...alternatives, ...withKey];
      op.description = [op.description, NOTE[policy]].filter(Boolean).join('\n\n');
    }
  }
  return document;
}
