import { Controller, Get, Headers, Put, Req, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { FileContent } from '../common/http/compression.js';
import { mediaTypeOf } from '../common/http/media-type.js';
import { sendFile, serveFile } from '../common/http/serve-file.js';
import { BodyStream, StreamedBody } from '../common/http/streamed-body.js';
import { DavLockGate } from '../dav/dav-lock-gate.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { attachmentDisposition } from '../files/core/attachment.js';
import { parseFields, viewOf } from '../files/core/file-view.js';
import { StorageService } from '../storage/storage.service.js';
import type { LinkGrant } from './links.service.js';

const binary = { schema: { type: 'string', format: 'binary' } } as const;
const TOKEN_DOC = 'The link\'s token `<kid>.<id>.<expiry>.<mac>` (contract §4.8), as created by `POST /api/file/links`';
const REFUSALS =
  '`401 invalid_credentials` (forged, altered, truncated, unknown), `401 credential_expired`, `403 link_revoked` (revoked, or its creator may no longer do this), ' +
  '`403 address_not_allowed`, `403 outside_scope` (another method or path), `403 link_used`';

/**
 * The signed links themselves (contract §4.8): no password, no API key — the token in the path is
 * the credential (the `link` method, verified by LinkStrategy before the handler runs). The link
 * acts as its creator: the request is accounted in the creator's statistics, under the `file`
 * area, like a download or upload of theirs.
 */
@ApiTags('links')
@Auth('link')
@Controller('link')
export class LinkAccessController {
  constructor(
    private readonly storage: StorageService,
    private readonly locks: DavLockGate,
  ) {}

  @Get(':token')
  @FileContent()
  @ApiOperation({ summary: 'Download the file of a GET link (single byte ranges, strong ETag, conditional GET)', description: `Refusals: ${REFUSALS}.` })
  @ApiParam({ name: 'token', description: TOKEN_DOC })
  @ApiHeader({ name: 'Range', required: false })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The whole file', ...binary })
  @ApiResponse({ status: 206, description: 'The requested range', ...binary })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag' })
  @ApiForbiddenResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'The file is gone', type: ErrorResponseDto })
  async download(@CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const grant = grantOf(req);
    const file = await this.storage.area(principal.account.id, 'main').openRead(grant.path);
    const answer = await serveFile(file, { method: req.method, headers: req.raw.headers }, {
      mediaType: mediaTypeOf(file.entry.name),
      contentType: 'application/octet-stream',
      headers: { 'Cache-Control': 'private, no-cache', 'Referrer-Policy': 'no-referrer' },
      contentHeaders: { 'Content-Disposition': attachmentDisposition(file.entry.name), 'X-Content-Type-Options': 'nosniff' },
    });
    await sendFile(req, reply, answer);
  }

  @Put(':token')
  @StreamedBody()
  @ApiOperation({ summary: 'Upload the file of a PUT link (to its one path)', description: `Streamed and atomic. Refusals: ${REFUSALS}; \`413 payload_too_large\` over the link's maximum (nothing stored).` })
  @ApiParam({ name: 'token', description: TOKEN_DOC })
  @ApiCreatedResponse({ description: 'A new file' })
  @ApiOkResponse({ description: 'An existing file was replaced' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  upload(@BodyStream() body: Readable, @Headers('content-length') length: string | undefined, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.store(grantOf(req), body, length, principal, reply);
  }

  @Put(':token/*')
  @StreamedBody()
  @ApiExcludeEndpoint()
  uploadBelow(@BodyStream() body: Readable, @Headers('content-length') length: string | undefined, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.store(grantOf(req), body, length, principal, reply);
  }

  private async store(grant: LinkGrant, body: Readable, contentLength: string | undefined, principal: Principal, reply: FastifyReply): Promise<void> {
    const max = Math.min(this.storage.maxUploadBytes, grant.maxUploadBytes ?? Infinity);
    try {
      await this.locks.upload(principal, grant.path);
      if (contentLength !== undefined && Number(contentLength) > max) throw new DomainError('payload_too_large', `the file exceeds the upload limit of ${max} bytes`);
      const chunks = body.iterator({ destroyOnReturn: false });
      const expectedBytes = contentLength === undefined ? undefined : Number(contentLength);
      const result = await this.storage.area(principal.account.id, 'main').write(grant.path, chunks, { maxBytes: max, expectedBytes, createParents: true });
      await reply.code(result.created ? 201 : 200).send(viewOf(result.entry, parseFields(undefined)));
    } catch (err) {
      if (body.readableAborted || (body.errored as NodeJS.ErrnoException | null)?.code === 'ECONNRESET') throw new DomainError('bad_request', 'the upload was interrupted');
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
  }
}

function grantOf(req: FastifyRequest): LinkGrant {
  if (!req.signedLink) throw new Error('a /link route reached without its link verified');
  return req.signedLink;
}
