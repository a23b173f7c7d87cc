import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { installStreamedBodyParsing } from '../common/http/streamed-body.js';
import { AclModule } from '../acl/acl.module.js';
import { DavModule } from '../dav/dav.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { FilesController } from './files.controller.js';

/** The REST file API (`/api/file/*`) over the account's main storage; it honours WebDAV locks (DavModule's DavLockGate). */
@Module({
  imports: [StorageModule, AclModule, DavModule],
  controllers: [FilesController],
})
export class FilesModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  // Routes are registered by now, the server is not ready yet: the last moment hooks and
  // parsers can still be added.
  onModuleInit(): void {
    installStreamedBodyParsing(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
