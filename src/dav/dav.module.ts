import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { AclModule } from '../acl/acl.module.js';
import { installStreamedBodyParsing } from '../common/http/streamed-body.js';
import { StorageModule } from '../storage/storage.module.js';
import { DavAccess } from './dav-access.js';
import { DavChecksumRow } from './dav-checksum.entity.js';
import { DavChecksumStore } from './dav-checksum.store.js';
import { DavExceptionFilter } from './dav-errors.js';
import { DavLockGate } from './dav-lock-gate.js';
import { DavLockRow } from './dav-lock.entity.js';
import { DavLockStore } from './dav-lock.store.js';
import { DavLocking } from './dav-locking.service.js';
import { DavPreparer } from './dav-prepare.js';
import { DavPropertyRow } from './dav-property.entity.js';
import { DavPropertyStore } from './dav-property.store.js';
import { DavReader } from './dav-read.service.js';
import { DavRootController } from './dav-root.controller.js';
import { DavWriter } from './dav-write.service.js';
import { BackupDavController, DavController, V2DavController } from './dav.controller.js';
import { DavService } from './dav.service.js';
import { MyLocksController } from './my-locks.controller.js';

/**
 * WebDAV class 1 and 2 (RFC 4918) on `/dav/`, `/backup/` and `/v2/dav/` (contract §5, §7), over the
 * storage module, with locks and dead properties in the database so several instances agree.
 * The ACL `dav`/`backup` classes are enforced by the DAV services themselves (DavPreparer, DavAccess).
 * `/api/me/locks` lets the account owner list and remove the locks on its resources; DavLockGate
 * (exported) lets the file API honour the locks. Depends on no module that writes files itself.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DavLockRow, DavPropertyRow, DavChecksumRow]), StorageModule, AclModule],
  controllers: [DavController, BackupDavController, V2DavController, MyLocksController, DavRootController],
  providers: [DavService, DavPreparer, DavReader, DavWriter, DavLocking, DavAccess, DavLockStore, DavPropertyStore, DavChecksumStore, DavExceptionFilter, DavLockGate],
  exports: [DavLockGate],
})
export class DavModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  // Routes are registered by now, the server is not ready yet: the last moment hooks and
  // parsers can still be added. Idempotent (FilesModule installs the same).
  onModuleInit(): void {
    installStreamedBodyParsing(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
