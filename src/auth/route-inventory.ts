import { Injectable, type OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACL_SPEC, type AclSpec } from '../acl/acl.decorators.js';
import { API_KEY_POLICY, type ApiKeyRequirement, AUTH_POLICY, type AuthPolicy } from './auth.decorators.js';

export interface RouteEntry {
  method: string;
  path: string;
  handler: string;
  /** `public`, or the accepted credential methods, `+admin` for operator routes; then ` api-key:<policy>` and ` acl:/class/action` where declared. */
  access: string;
  /** The route's `@ApiKeyPolicy`, or null where keys are ignored. */
  apiKey: ApiKeyRequirement | null;
}

export class RouteDeclarationError extends Error {}

/**
 * Every controller route with its declared access. The app refuses to start when a route
 * declares none (deny by default, STYLE.md 1), and the inventory test compares this table
 * with the committed one, so an access change reads as one in review.
 */
@Injectable()
export class RouteInventory implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.routes();
  }

  routes(): RouteEntry[] {
    const entries: RouteEntry[] = [];
    const missing: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const prefix = normalize(this.reflector.get<string | string[]>(PATH_METADATA, metatype));
      const proto = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name]!;
        const requestMethod = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
        if (requestMethod === undefined) continue;
        const path = `/${[prefix, normalize(this.reflector.get<string | string[]>(PATH_METADATA, handler))].filter(Boolean).join('/')}`;
        const policy = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [handler, metatype]);
        const label = `${metatype.name}.${name}`;
        if (!policy) missing.push(label);
        const apiKey = this.reflector.getAllAndOverride<ApiKeyRequirement | undefined>(API_KEY_POLICY, [handler, metatype]) ?? null;
        const acl = this.reflector.get<AclSpec | undefined>(ACL_SPEC, handler);
        const access = [describe(policy), apiKey ? `api-key:${apiKey}` : '', acl ? `acl:/${acl.cls}/${acl.action}` : ''].filter(Boolean).join(' ');
        entries.push({ method: RequestMethod[requestMethod], path, handler: label, access, apiKey });
      }
    }
    if (missing.length) throw new RouteDeclarationError(`routes without @Auth/@AdminAuth/@Public: ${missing.join(', ')}`);
    return entries.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }
}

function normalize(p: string | string[] | undefined): string {
  const first = Array.isArray(p) ? p[0] : p;
  return (first ?? '').replace(/^\/+|\/+$/g, '');
}

function describe(policy: AuthPolicy | undefined): string {
  if (!policy) return 'UNDECLARED';
  if (policy.methods.length === 0) return 'public';
  return policy.methods.join('|') + (policy.admin ? '+admin' : '');
}
