// Reference apps of npm run bench: NestJS 12 on Fastify or on Express (PEER_ADAPTER=fastify|express),
// the way a NestJS gateway is usually written, with two routes:
//   GET /bench/whoami — a bare route answering whoami's JSON (no guard);
//   GET /api/whoami   — the same answer behind @nestjs/passport's AuthGuard('basic') with
//                       passport-http's BasicStrategy and a verification cache.
// The cache is a Map keyed by a SHA-256 of the Authorization header (the header itself holds the
// password), with a TTL; a miss verifies an argon2id hash (@node-rs/argon2, as the service stores
// passwords). Every benchmark request after the warm-up is a hit, so the rows measure the cached
// path: Passport's middleware, the strategy's header parsing, one hash and one Map probe.
// Plain JavaScript, so decorators are applied by hand. Prints "READY <url>" when listening.
import 'reflect-metadata';
import { hash as sha } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { Controller, Get, Injectable, Module, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { BasicStrategy } from 'passport-http';
import { BENCH_LOGIN, BENCH_PASSWORD, WHOAMI } from './whoami.mjs';

const ADAPTER = process.env.PEER_ADAPTER ?? 'fastify';
const CACHE_TTL_MS = 5 * 60_000;

const users = new Map([[BENCH_LOGIN, { login: BENCH_LOGIN, passwordHash: await argon2Hash(BENCH_PASSWORD) }]]);
const verified = new Map();

class BasicAuthStrategy extends PassportStrategy(BasicStrategy, 'basic') {
  constructor() {
    super({ passReqToCallback: true });
  }

  async validate(req, login, password) {
    const key = sha('sha256', req.headers.authorization);
    const hit = verified.get(key);
    if (hit && hit.expires > Date.now()) return hit.user;
    const user = users.get(login);
    if (!user || !(await argon2Verify(user.passwordHash, password))) throw new UnauthorizedException();
    verified.set(key, { user, expires: Date.now() + CACHE_TTL_MS });
    return user;
  }
}
Injectable()(BasicAuthStrategy);

class BenchController {
  whoami() {
    return WHOAMI;
  }
}
class ApiController {
  whoami(req) {
    return { login: req.user.login, account: req.user.login, sublogin: null, method: 'basic', application: null, scopes: null };
  }
}
const decorate = (cls, name, ...decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  for (const d of decorators) d(cls.prototype, name, descriptor);
};
decorate(BenchController, 'whoami', Get('whoami'));
decorate(ApiController, 'whoami', Get('whoami'), UseGuards(AuthGuard('basic')));
Req()(ApiController.prototype, 'whoami', 0);
Controller('bench')(BenchController);
Controller('api')(ApiController);
class PeerModule {}
Module({ imports: [PassportModule], controllers: [BenchController, ApiController], providers: [BasicAuthStrategy] })(PeerModule);

const adapter = ADAPTER === 'express' ? new (await import('@nestjs/platform-express')).ExpressAdapter() : new (await import('@nestjs/platform-fastify')).FastifyAdapter();
const app = await NestFactory.create(PeerModule, adapter, { logger: false });
await app.listen(0, '127.0.0.1');
console.log(`READY http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
