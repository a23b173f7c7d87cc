import { Inject, Injectable, type OnModuleInit, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACL_PER_RESOURCE, ACL_SPEC, type AclSpec } from '../acl/acl.decorators.js';
import type { AclClass } from '../acl/core/acl-path.js';
import { API_KEY_POLICY, type ApiKeyRequirement, AUTH_POLICY, type AuthPolicy } from '../auth/auth.decorators.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { type MountedRoute, OAUTH_MOUNTED_ROUTES } from '../oauth/oauth-routes.js';
import type { PendingStage } from '../two-factor/factors.js';
import { PENDING_SESSION_ALLOWED, RECENT_SECOND_FACTOR } from '../two-factor/two-factor.decorators.js';
import { challengesOf, methodChallenges } from './challenges.js';

/** What the access pipeline needs to know of a route: its declarations, read once at start. */
export interface RouteAccess {
  readonly auth: AuthPolicy;
  /** `@ApiKeyPolicy`, or null where keys are ignored. */
  readonly apiKey: ApiKeyRequirement | null;
  /** The handler's own `@Acl` (never a class default: the general must not beat the specific). */
  readonly acl: AclSpec | null;
  /** The class of a controller whose service decides the ACL per resource (`@AclPerResource`). */
  readonly aclPerResource: AclClass | null;
  /** WWW-Authenticate of the route's methods, in their order; undefined on public routes. */
  readonly challenges: string | undefined;
  /**
   * `@RecentSecondFactor()` (a sensitive action) and `@PendingSessionAllowed()` (the stages of a
   * pending session the route takes), contract §4.9. Absent: neither.
   */
  readonly secondFactor?: SecondFactorRule;
}

export interface SecondFactorRule {
  readonly recent: boolean;
  readonly pendingAllowed: readonly PendingStage[];
}

export interface RouteRow {
  method: string;
  path: string;
  /** `Controller.method`, or what serves a route mounted outside Nest. */
  handler: string;
  /**
   * `public`, or the accepted credential methods (`+admin` for operator routes, `SETTING|` before
   * them for an address allow-list); then ` api-key:<policy>` and ` acl:/class/action` where declared.
   */
  access: string;
  apiKey: ApiKeyRequirement | null;
  /** What the pipeline decides the route by; null for a route served outside Nest. */
  declared: RouteAccess | null;
}

export class RouteDeclarationError extends Error {}

type Handler = (...args: unknown[]) => unknown;

/**
 * Every route with its declared access, read once at start from the route decorators (`@Auth`,
 * `@AdminAuth`, `@Public`, `@ApiKeyPolicy`, `@Acl`, `@AclPerResource`), plus the routes mounted on
 * Fastify outside Nest (OAuth). The access pipeline looks each request's handler up here, the
 * committed route table (docs/route-inventory.txt) is printed from it, and the OpenAPI document
 * takes its security from it. The app refuses to start when a route declares no access (deny by
 * default, STYLE.md 1), so an access change reads as one in review.
 */
@Injectable()
export class RouteTable implements OnModuleInit {
  private built?: { access: Map<object, Map<Handler, RouteAccess>>; rows: RouteRow[] };
  private readonly challenges: ReturnType<typeof methodChallenges>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.challenges = methodChallenges(config.basicRealm);
  }

  /** At start, so that an undeclared route stops it. */
  onModuleInit(): void {
    this.table();
  }

  /** The access of the route `handler` of `controller` serves; undefined for a handler the table does not know. */
  lookup(controller: object, handler: Handler): RouteAccess | undefined {
    return this.table().access.get(controller)?.get(handler);
  }

  /** Every route and its access, by path then method. */
  routes(): readonly RouteRow[] {
    return this.table().rows;
  }

  /** Built once, on first use: the OpenAPI document is made before the app's init. */
  private table(): NonNullable<RouteTable['built']> {
    return (this.built ??= this.build(OAUTH_MOUNTED_ROUTES));
  }

  private build(mounted: readonly MountedRoute[]): NonNullable<RouteTable['built']> {
    /** Controller class → handler → access: a handler is shared by the controllers that inherit it (the WebDAV mounts). */
    const access = new Map<object, Map<Handler, RouteAccess>>();
    const rows: RouteRow[] = [];
    const missing: string[] = [];
    for (const { metatype } of this.discovery.getControllers()) {
      if (!metatype) continue;
      const prefix = normalize(this.reflector.get<string | string[]>(PATH_METADATA, metatype));
      const aclPerResource = this.reflector.get<AclClass | undefined>(ACL_PER_RESOURCE, metatype) ?? null;
      const handlers = new Map<Handler, RouteAccess>();
      const proto = metatype.prototype as Record<string, Handler>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name]!;
        const requestMethod = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
        if (requestMethod === undefined) continue;
        const path = `/${[prefix, normalize(this.reflector.get<string | string[]>(PATH_METADATA, handler))].filter(Boolean).join('/')}`;
        // Handler metadata first: a route's own declaration beats its controller's default.
        const auth = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [handler, metatype]);
        const apiKey = this.reflector.getAllAndOverride<ApiKeyRequirement | undefined>(API_KEY_POLICY, [handler, metatype]) ?? null;
        const acl = this.reflector.get<AclSpec | undefined>(ACL_SPEC, handler) ?? null;
        const label = `${metatype.name}.${name}`;
        const secondFactor: SecondFactorRule = {
          recent: this.reflector.get<boolean | undefined>(RECENT_SECOND_FACTOR, handler) ?? false,
          pendingAllowed: this.reflector.get<PendingStage[] | undefined>(PENDING_SESSION_ALLOWED, handler) ?? [],
        };
        const declared = auth ? { auth, apiKey, acl, aclPerResource, challenges: auth.methods.length ? challengesOf(auth.methods, this.challenges) : undefined, secondFactor } : null;
        if (declared) handlers.set(handler, declared);
        else missing.push(label);
        rows.push({ method: RequestMethod[requestMethod], path, handler: label, access: describe(auth, apiKey, acl, aclPerResource, secondFactor), apiKey, declared });
      }
      access.set(metatype, handlers);
    }
    if (missing.length) throw new RouteDeclarationError(`routes without @Auth/@AdminAuth/@Public: ${missing.join(', ')}`);
    for (const r of mounted) rows.push({ method: r.method, path: r.path, handler: r.handler, access: r.access, apiKey: null, declared: null });
    rows.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    return { access, rows };
  }
}

function normalize(p: string | string[] | undefined): string {
  const first = Array.isArray(p) ? p[0] : p;
  return (first ?? '').replace(/^\/+|\/+$/g, '');
}

function describe(auth: AuthPolicy | undefined, apiKey: ApiKeyRequirement | null, acl: AclSpec | null, aclPerResource: AclClass | null, secondFactor?: SecondFactorRule): string {
  return [
    describeAuth(auth),
    secondFactor?.pendingAllowed.length ? `pending:${secondFactor.pendingAllowed.join('|')}` : '',
    secondFactor?.recent ? 'recent-2fa' : '',
    apiKey ? `api-key:${apiKey}` : '',
    acl ? `acl:/${acl.cls}/${acl.action}` : '',
    aclPerResource ? `acl:/${aclPerResource}/*:per-resource` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function describeAuth(auth: AuthPolicy | undefined): string {
  if (!auth) return 'UNDECLARED';
  if (auth.methods.length === 0) return 'public';
  return (auth.orFrom ? `${auth.orFrom}|` : '') + auth.methods.join('|') + (auth.admin ? '+admin' : '');
}
