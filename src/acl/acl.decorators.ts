import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { AclClass } from './core/acl-path.js';

export const ACL_RESOURCE = 'portcullis:acl-resource';
export const ACL_SPEC = 'portcullis:acl-spec';
export const ACL_PER_RESOURCE = 'portcullis:acl-per-resource';

/**
 * The part of the ACL path after `/class/action`, taken from the request: a user path
 * (`/docs/a.txt`), several (each must be allowed, e.g. both ends of a move), or nothing.
 */
export type AclSpecific = (req: FastifyRequest) => string | readonly string[] | undefined;

export interface AclSpec {
  cls: AclClass;
  action: string;
  specific?: AclSpecific;
}

/**
 * Marks a controller as ACL-classed: every handler in it must declare `@Acl`, or the app refuses
 * to start (contract §6). Only handler metadata decides; there is no class-level default to fall back on.
 */
export function AclResource(cls: AclClass): ClassDecorator {
  return SetMetadata(ACL_RESOURCE, cls);
}

/** The ACL path a handler acts on: `/cls/action[/specific]`, checked by the access pipeline's ACL step for sublogins. */
export function Acl(cls: AclClass, action: string, options: { specific?: AclSpecific } = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(ACL_SPEC, { cls, action, specific: options.specific } satisfies AclSpec),
    ApiForbiddenResponse({ description: `Sublogins need an ACL rule allowing /${cls}/${action}/… (\`acl_denied\`)`, type: ErrorResponseDto }),
  );
}

/**
 * Marks a controller whose ACL class its service decides per resource (WebDAV: COPY and MOVE need
 * two decisions, a PROPFIND decides each member), which a handler's `@Acl` cannot express. Read
 * into the route table, so the table shows it; the pipeline's ACL step leaves these routes alone.
 */
export function AclPerResource(cls: AclClass): ClassDecorator {
  return SetMetadata(ACL_PER_RESOURCE, cls);
}
