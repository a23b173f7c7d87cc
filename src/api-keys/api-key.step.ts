import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyRequirement } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { LIMIT_MESSAGES, limitRefusal } from '../common/credential-limits.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { ApiKeyCache, type KnownKey } from './api-key-cache.js';
import { ApiKeyUsageService } from './api-key-usage.service.js';
import { API_KEY_HMAC_PURPOSE, presentedApiKey } from './core/api-key-format.js';
import { keysUsable } from './core/application-lifecycle.js';
import { matrixParam } from './matrix-url.js';

/** The matrix parameter that carries the key: `/api;api_key=KEY/...`. */
export const API_KEY_MATRIX_PARAM = 'api_key';

/**
 * The access pipeline's API-key step (contract §4.3), after the credential and before the ACL:
 * route policy (`@ApiKeyPolicy`) × the principal's method → the application, or 401
 * `api_key_required` / 400 `api_key_malformed` / 403 `api_key_invalid` / 401 `credential_expired`
 * and 403 `address_not_allowed` (the key's own limits) / 403 `api_key_blocked`.
 * Session requests need no key; Basic, Bearer and OTP do where required. Before the ACL, so a
 * request without a valid key learns nothing of the ACL's decision.
 *
 * A key that is sent is always checked, also where none is needed, and names the application on
 * the principal. Hot path: one string hash and one Map probe (ApiKeyCache).
 */
@Injectable()
export class ApiKeyStep {
  private readonly headers: readonly string[];
  /** The API key as a challenge (its own scheme; clients skip schemes they do not know). */
  private readonly keyChallenge: string;
  private readonly keyRequired: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keyRing: KeyRing,
    private readonly cache: ApiKeyCache,
    private readonly usage: ApiKeyUsageService,
  ) {
    this.headers = config.apiKeyHeaders.map((h) => h.toLowerCase());
    const names = config.apiKeyHeaders.map((h) => h.toUpperCase()); // header names are case-insensitive
    const header = names[0] ?? 'X-API-KEY';
    this.keyChallenge = `ApiKey realm="${config.basicRealm}", header="${header}", matrix-parameter="${API_KEY_MATRIX_PARAM}"`;
    this.keyRequired =
      `this route needs an API key besides the credentials: send your application's key in ${names.join(' or ')}, or as ;${API_KEY_MATRIX_PARAM}=KEY on the path ` +
      `(Basic, Bearer and OTP calls need one; a signed-in session does not). Developers register an application in the Developer pages; once approved, its key is shown once there`;
  }

  /**
   * The principal the rest of the request acts as: with the key's application when a valid key
   * was sent, as it was otherwise. Routes without a policy ignore keys; a public route has no
   * principal to attach an application to. Synchronous unless the key has to be loaded (not
   * cached): the pipeline then needs no promise for this step.
   */
  check(req: FastifyRequest, policy: ApiKeyRequirement | null, principal: Principal | undefined): Principal | undefined | Promise<Principal | undefined> {
    if (!policy || !principal) return principal;

    const presented = presentedApiKey(this.presentedValues(req));
    if (presented.kind === 'none') {
      if (policy === 'required' && principal.method !== 'session') {
        this.usage.refused('api_key_required', principal, requestMeta(req));
        // The route's challenges (the credentials were fine, but a client reading them learns the ways in) and the key's.
        throw new DomainError('api_key_required', this.keyRequired, { 'WWW-Authenticate': [req.authChallenges, this.keyChallenge].filter(Boolean).join(', ') });
      }
      return principal;
    }
    if (presented.kind === 'malformed') {
      this.usage.refused('api_key_malformed', principal, requestMeta(req));
      throw new DomainError(
        'api_key_malformed',
        presented.reason === 'format' ? 'an API key is 32 upper-case hexadecimal digits' : 'the API key was sent more than once, with different values',
      );
    }

    const cached = this.cache.cached(presented.key);
    if (cached === undefined) return this.cache.load(presented.key).then((key) => this.withKey(req, presented.key, key, principal));
    return this.withKey(req, presented.key, cached, principal);
  }

  /** The key's decision once it is known: `key` null for no such key. */
  private withKey(req: FastifyRequest, presented: string, key: KnownKey | null, principal: Principal): Principal {
    if (!key || key.keyStatus !== 'active' || !keysUsable(key.application.status)) {
      this.usage.refused('api_key_invalid', principal, requestMeta(req), { fingerprint: this.fingerprint(presented), ...(key ? { applicationId: key.application.id } : {}) });
      throw new DomainError('api_key_invalid', 'the API key is not valid (unknown, replaced, or its application is not approved)');
    }
    // The key is recognised: now its developer's limits (contract §4.7), expiry before address.
    const limited = key.limits && limitRefusal(key.limits, Date.now(), req.ip);
    if (limited) {
      this.usage.refused(limited, principal, requestMeta(req), { fingerprint: this.fingerprint(presented), applicationId: key.application.id });
      const headers: Record<string, string> = limited === 'credential_expired' ? { 'WWW-Authenticate': [req.authChallenges, this.keyChallenge].filter(Boolean).join(', ') } : {};
      throw new DomainError(limited, LIMIT_MESSAGES[limited].replace('this credential', 'the API key'), headers);
    }
    if (key.blockedBy.has(principal.account.id)) {
      this.usage.refused('api_key_blocked', principal, requestMeta(req), { fingerprint: this.fingerprint(presented), applicationId: key.application.id });
      throw new DomainError('api_key_blocked', `the account has blocked the application ${key.application.name}`);
    }
    // A token already names its OAuth client: a key of another application does not mix with it.
    if (principal.application && principal.application.id !== key.application.id) {
      this.usage.refused('api_key_invalid', principal, requestMeta(req), { fingerprint: this.fingerprint(presented), applicationId: key.application.id });
      throw new DomainError('api_key_invalid', 'the API key belongs to another application than the token');
    }
    this.usage.used(key, principal, requestMeta(req));
    // A copy: the principal may be the verification cache's shared object.
    return { ...principal, application: { id: key.application.id, name: key.application.name } } satisfies Principal;
  }

  /** Names a refused key in the audit log: a prefix of its stored HMAC, never the key. */
  private fingerprint(key: string): string {
    return this.keyRing.hmac(API_KEY_HMAC_PURPOSE, key).slice(0, 12);
  }

  /** Every value sent for the key: each configured header (each occurrence) and each `;api_key=` matrix parameter. */
  private presentedValues(req: FastifyRequest): string[] {
    const values = matrixParam(req, API_KEY_MATRIX_PARAM);
    for (const name of this.headers) {
      const v = req.headers[name];
      if (typeof v === 'string') values.push(v);
      else if (Array.isArray(v)) values.push(...v);
    }
    return values;
  }
}
