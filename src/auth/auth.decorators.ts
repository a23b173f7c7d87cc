import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiCookieAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { AuthMethod, Principal } from './principal.js';

export const AUTH_POLICY = 'portcullis:auth-policy';

export interface AuthPolicy {
  /** Credential methods the route accepts, tried in this order. Empty = public. */
  methods: readonly AuthMethod[];
  /** Only operators (`role = admin`) pass. */
  admin: boolean;
  /**
   * The setting naming addresses whose clients pass without credentials (a scraper has none).
   * Everyone else needs the methods and is refused `403 forbidden` without them.
   */
  orFrom?: AddressAllowSetting;
}

/** Address allow-lists a route may name in `orFrom`: the settings that hold them. */
export type AddressAllowSetting = 'METRICS_ALLOW';

/** OpenAPI security scheme names, defined once in openapi/openapi.ts. */
export const SECURITY_SCHEMES = { basic: 'basic', bearer: 'bearer', otp: 'otp', session: 'session', apiKey: 'api_key' } as const;

/**
 * Route metadata: whether the route needs an application's API key (contract §4.3, §5). Set by
 * `@ApiKeyPolicy()` (api-keys/), read into the access pipeline's route table.
 */
export const API_KEY_POLICY = 'portcullis:api-key-policy';
export type ApiKeyRequirement = 'required' | 'optional';

const securityFor: Record<AuthMethod, () => MethodDecorator & ClassDecorator> = {
  basic: () => ApiBasicAuth(SECURITY_SCHEMES.basic),
  bearer: () => ApiBearerAuth(SECURITY_SCHEMES.bearer),
  otp: () => ApiSecurity(SECURITY_SCHEMES.otp),
  session: () => ApiCookieAuth(SECURITY_SCHEMES.session),
  // A signed link is its own credential, in the URL's path: no security scheme to send it with.
  link: () => applyDecorators(),
};

/**
 * Declares how a route is reached: the credential methods the access pipeline accepts, and the
 * same methods as the route's OpenAPI security, so the document cannot drift from the pipeline.
 */
export function Auth(...methods: [AuthMethod, ...AuthMethod[]]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(AUTH_POLICY, { methods, admin: false } satisfies AuthPolicy),
    ...methods.map((m) => securityFor[m]()),
    ApiUnauthorizedResponse({ description: 'Missing or wrong credentials', type: ErrorResponseDto }),
  );
}

/** Operator-only: a session of an account with `role = admin`. */
export function AdminAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(AUTH_POLICY, { methods: ['session'], admin: true } satisfies AuthPolicy),
    securityFor.session(),
    ApiUnauthorizedResponse({ description: 'No session', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'Not an operator (`admin_required`) or CSRF token missing (`csrf_failed`)', type: ErrorResponseDto }),
  );
}

/** Reachable without credentials. Explicit, so that forgetting a declaration denies rather than opens. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(AUTH_POLICY, { methods: [], admin: false } satisfies AuthPolicy);
}

/**
 * Clients at the addresses in `setting` without credentials, everyone else with an operator's
 * session (`/metrics`: a scraper has no credentials). Not in the OpenAPI security: a scraper
 * authorizes nothing.
 */
export function AdminAuthOrFrom(setting: AddressAllowSetting): MethodDecorator & ClassDecorator {
  return SetMetadata(AUTH_POLICY, { methods: ['session'], admin: true, orFrom: setting } satisfies AuthPolicy);
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The authenticated principal, as the access pipeline left it on the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  // The request by index: switchToHttp() assigns three new closures onto the context on every call.
  const principal = ctx.getArgByIndex<FastifyRequest>(0).principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
