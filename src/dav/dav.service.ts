import { Injectable } from '@nestjs/common';
import { DomainError } from '../errors/domain-error.js';
import type { DavAnswer, DavContext } from './dav-context.js';
import { DavLocking } from './dav-locking.service.js';
import { DavReader } from './dav-read.service.js';
import { DavWriter } from './dav-write.service.js';

/**
 * WebDAV class 1 and 2 (RFC 4918) over the storage module, with locks and dead properties in the
 * database: one handler per method, each checked by DavPreparer.prepare in one order (access
 * before any body is read, then the If header, the resource, HTTP's conditions and the locks)
 * before it touches storage. Status codes follow RFC 4918 where it names them, Apache mod_dav
 * where it leaves a choice.
 */
@Injectable()
export class DavService {
  constructor(
    private readonly reader: DavReader,
    private readonly writer: DavWriter,
    private readonly locking: DavLocking,
  ) {}

  handle(ctx: DavContext): Promise<DavAnswer> {
    switch (ctx.method) {
      case 'OPTIONS':
        return this.reader.options(ctx);
      case 'GET':
      case 'HEAD':
        return this.reader.get(ctx);
      case 'PROPFIND':
        return this.reader.propfind(ctx);
      case 'PUT':
        return this.writer.put(ctx);
      case 'DELETE':
        return this.writer.delete(ctx);
      case 'MKCOL':
        return this.writer.mkcol(ctx);
      case 'PROPPATCH':
        return this.writer.proppatch(ctx);
      case 'COPY':
      case 'MOVE':
        return this.writer.copyMove(ctx);
      case 'LOCK':
        return this.locking.lock(ctx);
      case 'UNLOCK':
        return this.locking.unlock(ctx);
      default:
        return Promise.reject(new DomainError('method_not_allowed', `${ctx.method} is not a WebDAV method here`));
    }
  }
}
