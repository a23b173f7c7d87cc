import { Controller, Copy, Delete, Get, Injectable, Lock, Mkcol, Move, Options, Propfind, Proppatch, Put, Req, Res, Unlock, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AclPerResource } from '../acl/acl.decorators.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import { isLoopback } from '../auth/tls-policy.js';
import type { Principal } from '../auth/principal.js';
import { FileContent } from '../common/http/compression.js';
import { sendFile } from '../common/http/serve-file.js';
import { StreamedBody } from '../common/http/streamed-body.js';
import { DomainError } from '../errors/domain-error.js';
import { pathOfUrl } from './core/dav-path.js';
import { DavExceptionFilter } from './dav-errors.js';
import { BACKUP_MOUNT, DAV_MOUNT, type DavMount, V2_DAV_MOUNT } from './dav-mount.js';
import { type DavContext, davPathOf } from './dav-context.js';
import { DavService } from './dav.service.js';

/** The mount root with or without its trailing slash, and everything below it. */
const ROUTES = ['', '*'];

/**
 * The WebDAV methods of one mount. Thin: every handler turns the request into a DavContext and
 * sends what DavService answers; the protocol lives in the service.
 *
 * - Bodies: every handler is `@StreamedBody()`, so no content-type parser ever reads a DAV body
 *   (a PUT of a `.json` or `.xml` file is a file); DavPreparer reads the small XML bodies itself,
 *   under a size limit, and streams PUT bodies into storage. Fastify sets no request timeout, so
 *   long transfers are not cut.
 * - ACL: not `@AclResource`-classed. The `dav`/`backup` classes are enforced by DavPreparer per
 *   request (see DavAccess): COPY and MOVE need two decisions and PROPFIND filters members, which
 *   a per-handler `@Acl` cannot express.
 * - HEAD is served by the GET handler (Fastify's automatic HEAD route), which drops the body.
 * - The WebDAV methods themselves: Nest's FastifyAdapter registers PROPFIND, MKCOL, ... with
 *   Fastify (`addHttpMethod`) when a route uses them.
 * - Not in the OpenAPI document: OpenAPI 3.0 has no way to describe PROPFIND and the other
 *   WebDAV methods; README describes the mounts.
 *
 * `@Injectable()` only so that its constructor's parameter types are emitted: the three mount
 * controllers inherit the constructor, and Nest reads the types through the prototype chain.
 */
@Injectable()
abstract class DavMountController {
  protected abstract readonly mount: DavMount;

  constructor(private readonly dav: DavService) {}

  @Options(ROUTES)
  @StreamedBody()
  options(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Get(ROUTES)
  @FileContent()
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Put(ROUTES)
  @StreamedBody()
  put(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Delete(ROUTES)
  @StreamedBody()
  delete(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Mkcol(ROUTES)
  @StreamedBody()
  mkcol(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Propfind(ROUTES)
  @StreamedBody()
  propfind(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Proppatch(ROUTES)
  @StreamedBody()
  proppatch(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Copy(ROUTES)
  @StreamedBody()
  copy(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Move(ROUTES)
  @StreamedBody()
  move(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Lock(ROUTES)
  @StreamedBody()
  lock(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  @Unlock(ROUTES)
  @StreamedBody()
  unlock(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.serve(req, reply, principal);
  }

  private async serve(req: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<void> {
    const ctx = contextOf(this.mount, req, reply, principal);
    const res = await this.dav.handle(ctx);
    // A file's content (GET/HEAD): sendFile encodes it when COMPRESS_DOWNLOADS is on and the client asks.
    if (res.kind === 'file') return sendFile(req, reply, res);
    reply.code(res.status);
    for (const [name, value] of Object.entries(res.headers ?? {})) reply.header(name, value);
    if (req.method === 'HEAD') {
      if (res.body instanceof Readable) res.body.destroy();
      // An empty stream, not an empty body: Fastify would reset Content-Length to 0 for that.
      await reply.send(res.headers?.['Content-Length'] !== undefined ? Readable.from([]) : undefined);
      return;
    }
    await reply.send(res.body);
  }
}

function contextOf(mount: DavMount, req: FastifyRequest, reply: FastifyReply, principal: Principal): DavContext {
  // A fragment is never part of a request target (RFC 9112 §3.2); cutting it off would act on
  // another resource than the client named (litmus delete_fragment).
  //
  // The target as the client sent it, not `req.url`: `;` is an ordinary character in a WebDAV
  // name (rclone sends `a;b.txt` unencoded), and the matrix-parameter stripping in front of the
  // router (api-keys/matrix-url.ts) would cut the name there. The DAV mounts take no API key, so
  // nothing is lost; routing still used the stripped URL, whose first segments are the same, and
  // a target whose unstripped form is outside the mount (`/dav;x/...`) is refused as a bad path.
  const target = req.originalUrl ?? req.url;
  if (target.includes('#')) throw new DomainError('bad_request', 'the request target must not contain a fragment (#)');
  const rawPath = pathOfUrl(target);
  const host = req.host ?? '';
  // The absolute URL and the abort signal are made when first asked for: most requests need
  // neither (the URL serves If headers and redirects, the signal uploads), and each cost a few
  // µs and allocations on every request.
  let url: string | undefined;
  let aborted: AbortController | undefined;
  const raw = reply.raw;
  return {
    mount,
    method: req.method,
    path: davPathOf(mount, rawPath),
    principal,
    headers: req.raw.headers,
    body: req.body instanceof Readable ? req.body : null,
    get url(): string {
      return (url ??= absoluteUrl(req.protocol, host, rawPath));
    },
    host: host.toLowerCase(),
    // req.ip: the proxy's client when TRUST_PROXY believes the proxy, else the peer.
    loopbackClient: isLoopback(req.ip),
    // Aborted when the connection closes before the answer was written: the client is gone
    // (also if it closed before the signal was first asked for).
    get signal(): AbortSignal {
      if (aborted === undefined) {
        const controller = (aborted = new AbortController());
        const abort = () => {
          if (!raw.writableFinished) controller.abort(new Error('client went away'));
        };
        if (raw.closed) abort();
        else raw.once('close', abort);
      }
      return aborted.signal;
    },
  };
}

function absoluteUrl(protocol: string, host: string, rawPath: string): string {
  try {
    return new URL(rawPath, `${protocol}://${host}`).href;
  } catch {
    return new URL(rawPath, 'http://invalid.host').href; // an unusable Host: no If tag will match it
  }
}

/** `/dav/`: the account's main storage, HTTP Basic (contract §5). */
@ApiExcludeController()
@UseFilters(DavExceptionFilter)
@Auth('basic')
@AclPerResource('dav')
@Controller('dav')
export class DavController extends DavMountController {
  protected readonly mount = DAV_MOUNT;
}

/** `/backup/`: the account's backup storage, HTTP Basic (contract §5). */
@ApiExcludeController()
@UseFilters(DavExceptionFilter)
@Auth('basic')
@AclPerResource('backup')
@Controller('backup')
export class BackupDavController extends DavMountController {
  protected readonly mount = BACKUP_MOUNT;
}

/**
 * `/v2/dav/`: the main storage again, for OAuth 2 Bearer tokens with scope `dav` (contract §5); the
 * scope is decided with the ACL by DavAccess. Basic is never accepted on this mount.
 */
@ApiExcludeController()
@UseFilters(DavExceptionFilter)
@Auth('bearer')
@AclPerResource('dav')
@Controller('v2/dav')
export class V2DavController extends DavMountController {
  protected readonly mount = V2_DAV_MOUNT;
}
