import { Body, Controller, Get, Headers, HttpCode, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Acl, AclResource } from '../acl/acl.decorators.js';
import { aclSpecificOf } from '../acl/acl-specific.js';
import { AclService, toCanonicalRequestPath } from '../acl/acl.service.js';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { FileContent } from '../common/http/compression.js';
import { mediaTypeOf } from '../common/http/media-type.js';
import { sendFile, serveFile } from '../common/http/serve-file.js';
import { BodyStream, StreamedBody } from '../common/http/streamed-body.js';
import { DomainError } from '../errors/domain-error.js';
import { DavLockGate } from '../dav/dav-lock-gate.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { AreaStorage } from '../storage/area-storage.js';
import { StorageService } from '../storage/storage.service.js';
import type { MemberAccess } from '../storage/storage.types.js';
import { attachmentDisposition } from './core/attachment.js';
import { fullNameMatcher, parseFields, viewOf } from './core/file-view.js';
import { FileEntryDto, FileListDto, InfoQueryDto, ListQueryDto, PathBodyDto, PathQueryDto, TransferBodyDto, TransferResultDto } from './dto/file.dto.js';

// ACL targets (contract §6: `/file/<action>/<path>`), read from the raw request: guards run before
// validation, so a value that is not a string gives no specific part (the bare action is
// decided, which rules on specific paths do not cover), and validation then refuses it.
const fromQuery = (req: FastifyRequest) => aclSpecificOf((req.query as Record<string, unknown> | undefined)?.path);
const fromBody = (req: FastifyRequest) => aclSpecificOf((req.body as Record<string, unknown> | undefined)?.path);
/** Move and copy act on both paths: each must be allowed. */
const bothEnds = (req: FastifyRequest): string[] => {
  const body = req.body as Record<string, unknown> | undefined;
  return [aclSpecificOf(body?.from) ?? '', aclSpecificOf(body?.to) ?? ''];
};

const binary = { schema: { type: 'string', format: 'binary' } } as const;

/**
 * The file API (contract §7) on the account's main storage. Thin: paths, limits and atomicity are the
 * storage's; this maps HTTP (ranges, validators, status codes) onto it.
 */
@ApiTags('files')
@AclResource('file')
@Auth('basic', 'bearer', 'otp', 'session')
@ApiKeyPolicy('required')
@ApiResponse({ status: 400, description: 'Invalid path (`path_invalid`, `path_escape`, `path_too_long`) or parameters (`validation_failed`)', type: ErrorResponseDto })
@Controller('api/file')
export class FilesController {
  constructor(
    private readonly storage: StorageService,
    private readonly acl: AclService,
    /** WebDAV locks hold here too: writes they cover are 423 `locked`. */
    private readonly locks: DavLockGate,
  ) {}

  @Get('list')
  @Acl('file', 'list', { specific: fromQuery })
  @ApiOperation({
    summary: 'List a folder (optionally recursively), with chosen fields and a name filter',
    description: 'Sublogins see only the members `/file/list/<member>` allows them.',
  })
  @ApiOkResponse({ type: FileListDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The path is a file', type: ErrorResponseDto })
  async list(@Query() q: ListQueryDto, @CurrentPrincipal() principal: Principal): Promise<FileListDto> {
    const fields = parseFields(q.fields);
    const matches = q.filter_full_name === undefined ? undefined : fullNameMatcher(q.filter_full_name);
    const { folder, entries, truncated } = await this.area(principal).list(q.path, await this.members(principal, 'list'), {
      recursive: q.recursive,
      filter: matches && ((e) => matches(e.name)),
    });
    return { path: folder.path, items: entries.map((e) => viewOf(e, fields)), truncated };
  }

  @Get('info')
  @Acl('file', 'info', { specific: fromQuery })
  @ApiOperation({ summary: 'Describe one file or folder' })
  @ApiOkResponse({ type: FileEntryDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async info(@Query() q: InfoQueryDto, @CurrentPrincipal() principal: Principal): Promise<FileEntryDto> {
    return viewOf(await this.area(principal).stat(q.path), parseFields(q.fields));
  }

  @Get('download')
  @FileContent()
  @Acl('file', 'download', { specific: fromQuery })
  @ApiOperation({
    summary: 'Download a file (streamed; single byte ranges, strong ETag, conditional GET)',
    description: 'With `COMPRESS_DOWNLOADS=true`, text-like files (by extension) of 1 KiB or more are sent br- or gzip-encoded to clients whose Accept-Encoding asks for it (never a range); such answers carry a weak ETag (`W/"…"`) and `Vary: Accept-Encoding`.',
  })
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-1023`, `bytes=-500`' })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiHeader({ name: 'If-Range', required: false })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The whole file', ...binary })
  @ApiResponse({ status: 206, description: 'The requested range (Content-Range)', ...binary })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag' })
  @ApiResponse({ status: 416, description: 'The range lies outside the file (`range_not_satisfiable`; Content-Range: bytes */size)', type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The path is a folder', type: ErrorResponseDto })
  async download(@Query() q: PathQueryDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.area(principal).openRead(q.path);
    // Always octet-stream and an attachment: a download is saved, never shown in the browser; the
    // file's own media type only decides its compression (COMPRESS_DOWNLOADS).
    const answer = await serveFile(file, { method: req.method, headers: req.raw.headers }, {
      mediaType: mediaTypeOf(file.entry.name),
      contentType: 'application/octet-stream',
      headers: { 'Cache-Control': 'private, no-cache' },
      contentHeaders: { 'Content-Disposition': attachmentDisposition(file.entry.name), 'X-Content-Type-Options': 'nosniff' },
    });
    await sendFile(req, reply, answer);
  }

  @Put('upload')
  @StreamedBody()
  @Acl('file', 'upload', { specific: fromQuery })
  @ApiOperation({
    summary: 'Upload a file (streamed and atomic: the file is visible whole or not at all)',
    description: 'Replaces an existing file; creates missing parent folders. The body is stored as sent, whatever its Content-Type.',
  })
  @ApiCreatedResponse({ description: 'A new file', type: FileEntryDto })
  @ApiOkResponse({ description: 'An existing file was replaced', type: FileEntryDto })
  @ApiConflictResponse({ description: 'The path is a folder, or a parent is a file', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAX_UPLOAD_BYTES (`payload_too_large`); nothing was changed', type: ErrorResponseDto })
  @ApiResponse({ status: 507, description: "More than the account's storage quota leaves room for (`quota_exceeded`; main and backup together, a replaced file's bytes freed); nothing was changed", type: ErrorResponseDto })
  async upload(
    @Query() q: PathQueryDto,
    @BodyStream() body: Readable,
    @Headers('content-length') contentLength: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const max = this.storage.maxUploadBytes;
    try {
      await this.locks.upload(principal, q.path);
      // Refused before reading a byte when the client says the size up front.
      if (contentLength !== undefined && Number(contentLength) > max) {
        throw new DomainError('payload_too_large', `the file exceeds the upload limit of ${max} bytes`);
      }
      // Not the stream itself: when the limit is hit mid-body, the storage releases its source,
      // and destroying the request would cut the connection before the 413 could be sent.
      const chunks = body.iterator({ destroyOnReturn: false });
      // With Content-Length, a file over the account's quota is refused before its body is read.
      const expectedBytes = contentLength === undefined ? undefined : Number(contentLength);
      const result = await this.area(principal).write(q.path, chunks, { maxBytes: max, expectedBytes, createParents: true });
      await reply.code(result.created ? 201 : 200).send(viewOf(result.entry, parseFields(undefined)));
    } catch (err) {
      // The client went away mid-body: nothing was stored, and nobody is left to answer.
      if (body.readableAborted || (body.errored as NodeJS.ErrnoException | null)?.code === 'ECONNRESET') {
        throw new DomainError('bad_request', 'the upload was interrupted');
      }
      // An unread body would otherwise be read to its end to keep the connection (Node's default).
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
  }

  @Post('mkdir')
  @Acl('file', 'mkdir', { specific: fromBody })
  @ApiOperation({ summary: 'Create a folder (and missing parents)' })
  @ApiCreatedResponse({ type: FileEntryDto })
  @ApiConflictResponse({ description: 'Something already exists there', type: ErrorResponseDto })
  async mkdir(@Body() body: PathBodyDto, @CurrentPrincipal() principal: Principal): Promise<FileEntryDto> {
    return viewOf(await this.area(principal).mkdir(body.path, { parents: true }), parseFields(undefined));
  }

  @Post('move')
  @HttpCode(200)
  @Acl('file', 'move', { specific: bothEnds })
  @ApiOperation({
    summary: 'Move or rename a file or folder',
    description: 'Sublogins need `/file/move` allowed on both paths and on every member beneath them: a deny rule beneath either refuses the whole move (`acl_denied`, naming it) before anything is moved.',
  })
  @ApiOkResponse({ type: TransferResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The target exists (without overwrite), is the source, or lies inside it', type: ErrorResponseDto })
  async move(@Body() body: TransferBodyDto, @CurrentPrincipal() principal: Principal): Promise<TransferResultDto> {
    await this.locks.move(principal, body.from, body.to);
    const access = await this.members(principal, 'move');
    const { entry, replaced } = await this.area(principal).move(body.from, body.to, { source: access, target: access }, { overwrite: body.overwrite, createParents: true });
    return { entry: viewOf(entry, parseFields(undefined)), replaced };
  }

  @Post('copy')
  @HttpCode(200)
  @Acl('file', 'copy', { specific: bothEnds })
  @ApiOperation({
    summary: 'Copy a file or a whole folder',
    description: 'Sublogins need `/file/copy` allowed on both paths and on every member beneath them: a deny rule beneath either refuses the whole copy (`acl_denied`, naming it) before anything is copied.',
  })
  @ApiOkResponse({ type: TransferResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The target exists (without overwrite), is the source, or lies inside it', type: ErrorResponseDto })
  @ApiResponse({ status: 507, description: "The copy would exceed the account's storage quota (`quota_exceeded`); nothing was copied", type: ErrorResponseDto })
  async copy(@Body() body: TransferBodyDto, @CurrentPrincipal() principal: Principal): Promise<TransferResultDto> {
    await this.locks.copy(principal, body.from, body.to);
    const access = await this.members(principal, 'copy');
    const { entry, replaced } = await this.area(principal).copy(body.from, body.to, { source: access, target: access }, { overwrite: body.overwrite, createParents: true });
    return { entry: viewOf(entry, parseFields(undefined)), replaced };
  }

  @Post('delete')
  @HttpCode(204)
  @Acl('file', 'delete', { specific: fromBody })
  @ApiOperation({
    summary: 'Delete a file or a folder with everything in it',
    description: 'The storage root itself cannot be deleted (400 `path_invalid`). Sublogins need `/file/delete` allowed on every member: a deny rule beneath the folder refuses the whole delete (`acl_denied`).',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async remove(@Body() body: PathBodyDto, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.locks.delete(principal, body.path);
    await this.area(principal).delete(body.path, await this.members(principal, 'delete'));
  }

  /** How the principal may do `action` on each member of a tree: as `/file/<action>/<member>` would be decided. */
  private members(principal: Principal, action: string): MemberAccess | Promise<MemberAccess> {
    return this.acl.memberAccess(principal, (path) => toCanonicalRequestPath(`/file/${action}${aclSpecificOf(path)}`));
  }

  /** The customer's main storage: a sublogin acts on its customer's files. */
  private area(principal: Principal): AreaStorage {
    return this.storage.area(principal.account.id, 'main');
  }
}
