import type { CookieSerializeOptions } from '@fastify/cookie';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Cookies without a hook (issue 18): @fastify/cookie's API (`req.cookies`, `reply.setCookie`,
 * `reply.clearCookie`, `reply.cookie`) on every request, but no onRequest hook parsing every
 * request's Cookie header and no onSend hook on every answer — a few routes (sign-in, sessions,
 * the pages) use cookies, every API call paid for both.
 *
 * - `req.cookies` is parsed on first read (cached on the request), from the header as received.
 * - `reply.setCookie()` writes its `Set-Cookie` line at once. As with the plugin, a later cookie of
 *   the same name, domain and path replaces the earlier one in the answer (sign-out clearing a
 *   cookie a filter cleared already sends it once), and the plugin's defaults hold: `SameSite=Lax`
 *   unless given, `secure: 'auto'` by the request's protocol, `expires` as epoch ms accepted.
 * Signed cookies are not offered (the service never used them: the plugin had no secret).
 */
export function installCookies(fastify: FastifyInstance): void {
  fastify.decorateRequest(PARSED, null);
  fastify.decorateRequest('cookies', {
    getter(this: { [PARSED]: Record<string, string | undefined> | null; raw: { headers: { cookie?: string } } }) {
      if (this[PARSED] === null) {
        const header = this.raw.headers.cookie;
        this[PARSED] = header ? parseCookie(header) : {};
      }
      return this[PARSED];
    },
  } as never);
  fastify.decorateReply(SET, null);
  fastify.decorateReply('setCookie', setCookie);
  fastify.decorateReply('cookie', setCookie);
  fastify.decorateReply('clearCookie', function clearCookie(this: FastifyReply, name: string, options?: CookieSerializeOptions) {
    return setCookie.call(this, name, '', { path: '/', ...options, expires: new Date(0), maxAge: 0, signed: false });
  });
}

const PARSED = Symbol('cookies');
const SET = Symbol('setCookies');

type CookieReply = FastifyReply & { [SET]: Map<string, string> | null };

function setCookie(this: FastifyReply, name: string, value: string, options: CookieSerializeOptions = {}): FastifyReply {
  const reply = this as CookieReply;
  const { signed, encode, ...rest } = { sameSite: 'lax' as const, ...options };
  if (signed) throw new Error('signed cookies are not supported');
  const attributes: Record<string, unknown> = { ...rest };
  if (typeof attributes.expires === 'number' && Number.isInteger(attributes.expires)) attributes.expires = new Date(attributes.expires);
  if (attributes.secure === 'auto') attributes.secure = reply.request.protocol === 'https';
  const lines = (reply[SET] ??= new Map());
  lines.set(`${name};${String(attributes.domain)};${(attributes.path as string | undefined) || '/'}`, stringifySetCookie({ name, value, ...attributes } as never, { encode }));
  // Nothing else in the service sets Set-Cookie on a reply: these lines are the whole header.
  reply.removeHeader('set-cookie');
  // One cookie as a string, several as an array, as the plugin sets them (the same on the wire).
  reply.header('set-cookie', lines.size === 1 ? lines.values().next().value! : [...lines.values()]);
  return reply;
}
