import { describe, expect, it } from 'vitest';
import { type LoginRequestFacts, loginCsrfDecision, mediaType, originOf } from './login-csrf.js';

const own = new Set(['https://storage.example', 'http://127.0.0.1:3000']);
const facts = (f: Partial<LoginRequestFacts>): LoginRequestFacts => ({
  origin: undefined,
  secFetchSite: undefined,
  contentType: 'application/json',
  signInTokenValid: false,
  ...f,
});

describe('originOf', () => {
  it.each([
    ['https://storage.example', 'https://storage.example'],
    ['HTTPS://Storage.Example:443', 'https://storage.example'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://[::1]:80', 'http://[::1]'],
    ['https://storage.example/base/', 'https://storage.example'],
    [' https://storage.example ', 'https://storage.example'],
  ])('%s → %s', (value, origin) => expect(originOf(value)).toBe(origin));

  it.each(['null', '', 'https://a.example, https://storage.example', 'storage.example', 'file:///etc', 'ftp://storage.example', 'https://a b'])(
    'refuses %j',
    (value) => expect(originOf(value)).toBeNull(),
  );
});

describe('mediaType', () => {
  it.each([
    ['application/json', 'application/json'],
    ['Application/JSON; charset=utf-8', 'application/json'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    [undefined, ''],
  ])('%s → %s', (value, type) => expect(mediaType(value)).toBe(type));
});

describe('loginCsrfDecision', () => {
  it.each<[string, Partial<LoginRequestFacts>]>([
    ['a script: JSON, no Origin', {}],
    ['JSON from our own page', { origin: 'https://storage.example', secFetchSite: 'same-origin' }],
    ['JSON with the origin as seen (default port spelt out)', { origin: 'http://127.0.0.1:3000', contentType: 'application/json; charset=utf-8' }],
    ['a form with the sign-in token, from our page', { origin: 'https://storage.example', contentType: 'application/x-www-form-urlencoded', signInTokenValid: true }],
    ['a form with the sign-in token, no Origin', { contentType: 'application/x-www-form-urlencoded', signInTokenValid: true }],
    ['typed into the address bar', { secFetchSite: 'none' }],
  ])('lets in %s', (_, f) => expect(loginCsrfDecision(facts(f), own)).toEqual({ ok: true }));

  it.each<[string, Partial<LoginRequestFacts>, 'cross_site' | 'form_token']>([
    ['a form from another site', { origin: 'https://evil.example', contentType: 'application/x-www-form-urlencoded' }, 'cross_site'],
    ['a form from another site, even with a token', { origin: 'https://evil.example', contentType: 'application/x-www-form-urlencoded', signInTokenValid: true }, 'cross_site'],
    ['JSON from another site', { origin: 'https://evil.example' }, 'cross_site'],
    ['a sibling subdomain', { origin: 'https://user.storage.example' }, 'cross_site'],
    ['our host on another scheme', { origin: 'http://storage.example' }, 'cross_site'],
    ['an opaque origin', { origin: 'null', contentType: 'application/x-www-form-urlencoded', signInTokenValid: true }, 'cross_site'],
    ['Sec-Fetch-Site: cross-site', { secFetchSite: 'cross-site' }, 'cross_site'],
    ['Sec-Fetch-Site: cross-site with our Origin', { secFetchSite: 'Cross-Site', origin: 'https://storage.example' }, 'cross_site'],
    ['a form without the token', { contentType: 'application/x-www-form-urlencoded' }, 'form_token'],
    ['a form from our page without the token', { origin: 'https://storage.example', contentType: 'application/x-www-form-urlencoded' }, 'form_token'],
    ['multipart without the token', { contentType: 'multipart/form-data; boundary=x' }, 'form_token'],
    ['text/plain without the token', { contentType: 'text/plain' }, 'form_token'],
    ['no content type', { contentType: undefined }, 'form_token'],
  ])('refuses %s', (_, f, reason) => expect(loginCsrfDecision(facts(f), own)).toEqual({ ok: false, reason }));
});
