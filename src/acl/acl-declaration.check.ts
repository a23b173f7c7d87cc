import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACL_RESOURCE, ACL_SPEC, type AclSpec } from './acl.decorators.js';
import { AclPathError, canonicalizeRequestPath } from './core/acl-path.js';

export class AclDeclarationError extends Error {
  override readonly name = 'AclDeclarationError';
}

/**
 * The start-up half of "deny by default" for the ACL (contract §6, STYLE.md 1): every route of an
 * `@AclResource` controller must declare its own `@Acl`, and every `@Acl` must name a valid
 * `/class/action`. Otherwise the app refuses to start, naming the handlers.
 */
@Injectable()
export class AclDeclarationCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const problems: string[] = [];
    for (const { instance, metatype } of this.discovery.getControllers()) {
      if (!instance || !metatype) continue;
      const resource = this.reflector.get<string | undefined>(ACL_RESOURCE, metatype);
      const proto = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name]!;
        if (this.reflector.get<unknown>(METHOD_METADATA, handler) === undefined) continue; // not a route
        const spec = this.reflector.get<AclSpec | undefined>(ACL_SPEC, handler);
        const label = `${metatype.name}.${name}`;
        if (!spec) {
          if (resource) problems.push(`${label} has no @Acl (its controller is @AclResource('${resource}'))`);
          continue;
        }
        const declared = `/${spec.cls}/${spec.action}`;
        let canonical: string | undefined;
        try {
          canonical = canonicalizeRequestPath(declared);
        } catch (err) {
          if (!(err instanceof AclPathError)) throw err;
        }
        // Exactly two segments: an action `a/b` would make every request path one level off.
        if (canonical !== declared || declared.split('/').length !== 3) problems.push(`${label} declares @Acl path ${declared}, which is not a canonical /class/action`);
      }
    }
    if (problems.length) throw new AclDeclarationError(`ACL declarations are incomplete: ${problems.join('; ')}`);
  }
}
