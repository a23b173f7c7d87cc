import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { API_KEY_POLICY, type ApiKeyRequirement } from '../auth/auth.decorators.js';

/** The OpenAPI extension that carries the policy into the document (see api-key-openapi.ts). */
export const API_KEY_EXTENSION = 'x-api-key';

/**
 * Declares whether a route needs an application's API key (contract §4.3, §5), for the global
 * access pipeline's API-key step and for the OpenAPI document at once, so the two cannot drift:
 * - `required`: Basic, Bearer and OTP requests must send a valid key; session (first-party)
 *   requests need none.
 * - `optional`: no key needed, but one that is sent is checked (and names the application).
 * Routes without it ignore keys. A method's declaration beats its controller's.
 */
export function ApiKeyPolicy(requirement: ApiKeyRequirement): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(API_KEY_POLICY, requirement), ApiExtension(API_KEY_EXTENSION, requirement));
}
