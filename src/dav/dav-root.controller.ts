import { Controller, Options, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Public } from '../auth/auth.decorators.js';
import { StreamedBody } from '../common/http/streamed-body.js';

/** What `/` itself answers to: OPTIONS here, GET and HEAD (the redirect to MyPage). */
const ROOT_ALLOW = 'OPTIONS, GET, HEAD';

/**
 * `OPTIONS /` (and `OPTIONS *`, which app.factory.ts routes here): WebDAV discovery at the
 * server root. Windows' WebDAV redirector (*Map network drive*, `net use`) asks the root before
 * the folder it maps, whatever that folder is, and gives up on a 404.
 *
 * Public: the answer is the same fixed headers for everyone — that this server speaks WebDAV
 * class 1 and 2, as any mount's own OPTIONS says — and names no account, file or credential. The
 * mounts themselves (`/dav/`, `/backup/`, `/v2/dav/`) still ask for credentials on every method,
 * OPTIONS included. `@StreamedBody()`: a body is never parsed here (nor read: Node discards it).
 */
@ApiExcludeController()
@Public()
@Controller()
export class DavRootController {
  @Options()
  @StreamedBody()
  options(@Res() reply: FastifyReply): void {
    void reply.code(200).headers({ DAV: '1, 2', Allow: ROOT_ALLOW, 'MS-Author-Via': 'DAV', 'Content-Length': 0 }).send();
  }
}

/** `OPTIONS *` (RFC 9110 §9.3.7): about the server in general, which is what `OPTIONS /` answers. */
export function isServerWideOptions(req: IncomingMessage): boolean {
  return req.url === '*' && req.method === 'OPTIONS';
}
