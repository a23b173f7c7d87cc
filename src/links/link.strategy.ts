import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestMeta } from '../auth/request-meta.js';
import { CredentialStrategy, type Validated } from '../auth/strategies/credential-strategy.js';
import { RequestStrategy } from '../auth/strategies/request-strategy.js';
import { type LinkGrant, LinksService } from './links.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's signed link allows it (set by the `link` strategy on `/link/…` routes). */
    signedLink?: LinkGrant;
  }
}

/**
 * The `link` credential method (contract §4.8): the token in the `/link/{token}` route's path.
 * The link acts as its creator (method `link`), and hands its grant to the handler on the request.
 * No token parameter means "not mine".
 */
@Injectable()
export class LinkStrategy extends CredentialStrategy(RequestStrategy, 'link') {
  constructor(private readonly links: LinksService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Validated> {
    const params = req.params as Record<string, string | undefined> | undefined;
    if (params?.token === undefined) return null;
    const length = req.raw.headers['content-length'];
    const { principal, verification, grant } = await this.links.verify({
      token: params.token,
      method: req.method === 'PUT' ? 'PUT' : 'GET',
      below: params['*'],
      contentLength: length === undefined || !/^\d{1,16}$/.test(length) ? undefined : Number(length),
      meta: requestMeta(req),
    });
    req.signedLink = grant;
    return [principal, verification];
  }
}
