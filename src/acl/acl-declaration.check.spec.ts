import { Controller, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { AclDeclarationCheck, AclDeclarationError } from './acl-declaration.check.js';
import { Acl, AclResource } from './acl.decorators.js';

@AclResource('file')
@Controller('complete')
class CompleteController {
  @Get('list')
  @Acl('file', 'list')
  list(): string {
    return 'ok';
  }

  /** Not a route: needs no declaration. */
  helper(): string {
    return 'helper';
  }
}

@AclResource('file')
@Controller('incomplete')
class IncompleteController {
  @Get('list')
  @Acl('file', 'list')
  list(): string {
    return 'ok';
  }

  @Post('delete')
  remove(): string {
    return 'forgot @Acl';
  }
}

@Controller('plain')
class PlainController {
  @Get()
  get(): string {
    return 'no ACL class, no @Acl needed';
  }
}

@Controller('bad-action')
class BadActionController {
  @Get('a')
  @Acl('stat', 'Traffic')
  upper(): string {
    return 'x';
  }

  @Get('b')
  @Acl('stat', 'traffic/hour')
  nested(): string {
    return 'x';
  }
}

/** Boots a Nest application context with the check and the given controllers; resolves when it started. */
async function boot(...controllers: Array<new () => unknown>): Promise<void> {
  const moduleRef = await Test.createTestingModule({ imports: [DiscoveryModule], controllers, providers: [AclDeclarationCheck] }).compile();
  try {
    await moduleRef.init(); // runs onApplicationBootstrap, as app.init() does
  } finally {
    await moduleRef.close();
  }
}

describe('AclDeclarationCheck (the app refuses to start on an undeclared ACL route)', () => {
  it('starts when every route of an ACL-classed controller declares @Acl', async () => {
    await expect(boot(CompleteController, PlainController)).resolves.toBeUndefined();
  });

  it('refuses to start, naming the handler, when an @AclResource controller has a route without @Acl', async () => {
    const err = await boot(CompleteController, IncompleteController).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AclDeclarationError);
    expect((err as Error).message).toContain("IncompleteController.remove has no @Acl (its controller is @AclResource('file'))");
    expect((err as Error).message).not.toContain('IncompleteController.list');
  });

  it('refuses an @Acl whose /class/action is not canonical', async () => {
    const err = await boot(BadActionController).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AclDeclarationError);
    expect((err as Error).message).toContain('BadActionController.upper declares @Acl path /stat/Traffic');
    expect((err as Error).message).toContain('BadActionController.nested declares @Acl path /stat/traffic/hour');
  });
});
