import { Controller, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { Acl, AclPerResource } from '../acl/acl.decorators.js';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { AdminAuth, AdminAuthOrFrom, Auth, Public } from '../auth/auth.decorators.js';
import { loadConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { RouteDeclarationError, RouteTable } from './route-table.js';

@Auth('session')
@Controller('probe')
class ProbeController {
  @Get('open')
  @Public()
  open(): void {}

  @Get('mine')
  mine(): void {}

  @Post('files')
  @Auth('basic', 'otp', 'session')
  @ApiKeyPolicy('required')
  @Acl('file', 'upload')
  upload(): void {}

  @Get('ops')
  @AdminAuth()
  ops(): void {}

  @Get('scrape')
  @AdminAuthOrFrom('METRICS_ALLOW')
  scrape(): void {}
}

/** One handler, two mounts: the table tells them apart by controller. */
abstract class Mount {
  @Get()
  list(): void {}
}

@Auth('basic')
@AclPerResource('dav')
@Controller('m1')
class FirstMount extends Mount {}

@Auth('bearer')
@AclPerResource('backup')
@Controller('m2')
class SecondMount extends Mount {}

@Controller('forgotten')
class UndeclaredController {
  @Get()
  @Public()
  fine(): void {}

  @Get('oops')
  oops(): void {}
}

async function tableOf(...controllers: Array<new () => object>): Promise<RouteTable> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [RouteTable, { provide: APP_CONFIG, useValue: loadConfig({}) }],
  }).compile();
  return moduleRef.get(RouteTable);
}

describe('RouteTable', () => {
  it('reads each route\'s declarations once: the handler\'s own beat its controller\'s', async () => {
    const table = await tableOf(ProbeController);
    const proto = ProbeController.prototype;
    expect(table.lookup(ProbeController, proto.open)).toMatchObject({ auth: { methods: [], admin: false }, apiKey: null, acl: null, challenges: undefined });
    expect(table.lookup(ProbeController, proto.mine)).toMatchObject({ auth: { methods: ['session'] }, challenges: expect.stringMatching(/^Cookie realm=/) });
    const upload = table.lookup(ProbeController, proto.upload);
    expect(upload).toMatchObject({ auth: { methods: ['basic', 'otp', 'session'] }, apiKey: 'required', acl: { cls: 'file', action: 'upload' }, aclPerResource: null });
    // The challenges of the route's methods, in their order (an OTP has none).
    expect(upload?.challenges).toMatch(/^Basic realm="Portcullis", charset="UTF-8", Cookie realm=/);
    expect(table.lookup(ProbeController, proto.ops)).toMatchObject({ auth: { methods: ['session'], admin: true } });
    expect(table.lookup(ProbeController, proto.scrape)).toMatchObject({ auth: { methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' } });
  });

  it('tells apart the controllers that share an inherited handler', async () => {
    const table = await tableOf(FirstMount, SecondMount);
    const list = Mount.prototype.list;
    expect(table.lookup(FirstMount, list)).toMatchObject({ auth: { methods: ['basic'] }, aclPerResource: 'dav' });
    expect(table.lookup(SecondMount, list)).toMatchObject({ auth: { methods: ['bearer'] }, aclPerResource: 'backup' });
    expect(table.lookup(Mount, list)).toBeUndefined();
  });

  it('prints every route with its access, the routes mounted outside Nest included', async () => {
    const table = await tableOf(ProbeController, FirstMount);
    const rows = table.routes().map((r) => `${r.method} ${r.path} ${r.access}`);
    expect(rows).toEqual(
      expect.arrayContaining([
        'GET /probe/open public',
        'GET /probe/mine session',
        'POST /probe/files basic|otp|session api-key:required acl:/file/upload',
        'GET /probe/ops session+admin',
        'GET /probe/scrape METRICS_ALLOW|session+admin',
        'GET /m1 basic acl:/dav/*:per-resource',
        'POST /oauth/* oidc-provider',
        'GET /.well-known/oauth-authorization-server public',
      ]),
    );
    // Sorted by path, then method.
    const keys = table.routes().map((r) => [r.path, r.method]);
    expect(keys).toEqual([...keys].sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!)));
  });

  it('refuses to start when a route declares no access (deny by default)', async () => {
    const table = await tableOf(UndeclaredController);
    expect(() => table.onModuleInit()).toThrow(RouteDeclarationError);
    expect(() => table.routes()).toThrow(/routes without @Auth\/@AdminAuth\/@Public: UndeclaredController\.oops$/);
  });
});
