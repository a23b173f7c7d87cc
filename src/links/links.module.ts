import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { AclModule } from '../acl/acl.module.js';
import { installStreamedBodyParsing } from '../common/http/streamed-body.js';
import { DavModule } from '../dav/dav.module.js';
import { ReplayModule } from '../replay/replay.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { LinkAccessController } from './link-access.controller.js';
import { LinkSigner } from './link-signer.js';
import { LinkStrategy } from './link.strategy.js';
import { LinksController } from './links.controller.js';
import { LinksService } from './links.service.js';
import { SignedLink } from './signed-link.entity.js';

/**
 * Signed links (contract §4.8): the `link` credential method's strategy (for the access
 * pipeline), the `/link/{token}` routes it guards, and the API that creates, lists and revokes
 * links. Single-use links claim through the shared replay store.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SignedLink]), AclModule, StorageModule, DavModule, ReplayModule],
  controllers: [LinksController, LinkAccessController],
  providers: [LinkSigner, LinksService, LinkStrategy],
  exports: [LinkStrategy, LinksService],
})
export class LinksModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly links: LinksService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installStreamedBodyParsing(fastify);
    // Once the requests in flight are answered, while the database is still open (as AccountingHook).
    fastify.addHook('onClose', () => this.links.flushUses());
  }
}
