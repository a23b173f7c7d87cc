import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DavHeaderError,
  type Depth,
  evaluateIf,
  type IfCondition,
  type IfHeader,
  ifHeaderResources,
  type IfResourceState,
  MAX_IF_CONDITIONS,
  normalizeHost,
  parseDepth,
  parseDestination,
  parseIfHeader,
  parseLockToken,
  parseOverwrite,
  parseTimeout,
} from './if-header.js';

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';
const tok = (token: string, not = false): IfCondition => ({ not, kind: 'token', token });
const etag = (e: string, not = false): IfCondition => ({ not, kind: 'etag', etag: e });

function headerError(run: () => unknown): DavHeaderError {
  try {
    run();
  } catch (e) {
    if (e instanceof DavHeaderError) return e;
    throw new Error(`expected DavHeaderError, got ${String(e)}`);
  }
  throw new Error('expected DavHeaderError, got a result');
}

describe('parseIfHeader', () => {
  it('is null when absent', () => {
    expect(parseIfHeader(undefined)).toBeNull();
  });

  it.each<[string, string, IfHeader]>([
    [
      '§10.4.6 two lists, token and etags',
      `(<${T1}> ["I am an ETag"]) (["I am another ETag"])`,
      {
        tagged: false,
        lists: [
          { resource: null, conditions: [tok(T1), etag('"I am an ETag"')] },
          { resource: null, conditions: [etag('"I am another ETag"')] },
        ],
      },
    ],
    [
      '§10.4.7 Not',
      `(Not <${T1}> <${T2}>)`,
      { tagged: false, lists: [{ resource: null, conditions: [tok(T1, true), tok(T2)] }] },
    ],
    [
      '§10.4.8 DAV:no-lock',
      `(<${T1}>) (Not <DAV:no-lock>)`,
      {
        tagged: false,
        lists: [
          { resource: null, conditions: [tok(T1)] },
          { resource: null, conditions: [tok('DAV:no-lock', true)] },
        ],
      },
    ],
    [
      '§10.4.9 tagged, weak etag',
      `</resource1> (<${T1}> [W/"A weak ETag"]) (["strong ETag"])`,
      {
        tagged: true,
        lists: [
          { resource: '/resource1', conditions: [tok(T1), etag('W/"A weak ETag"')] },
          { resource: '/resource1', conditions: [etag('"strong ETag"')] },
        ],
      },
    ],
    [
      '§10.4.10 collection tag',
      `<http://www.example.com/specs/> (<${T1}>)`,
      { tagged: true, lists: [{ resource: 'http://www.example.com/specs/', conditions: [tok(T1)] }] },
    ],
    [
      '§10.4.11 Not etag',
      '</specs/rfc2518.doc> (Not ["4217"])',
      { tagged: true, lists: [{ resource: '/specs/rfc2518.doc', conditions: [etag('"4217"', true)] }] },
    ],
    [
      '§9.9.7 two tagged resources (MOVE of a locked collection)',
      `<http://www.example.com/container/> (<${T1}>) <http://www.example.com/other/> (<${T2}>)`,
      {
        tagged: true,
        lists: [
          { resource: 'http://www.example.com/container/', conditions: [tok(T1)] },
          { resource: 'http://www.example.com/other/', conditions: [tok(T2)] },
        ],
      },
    ],
    [
      'opaquelocktoken, no spaces, lower-case not',
      '(not<opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>["x"])',
      { tagged: false, lists: [{ resource: null, conditions: [tok('opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', true), etag('"x"')] }] },
    ],
    [
      'white space and tabs everywhere',
      ` \t( \t<${T1}>\t)\t `,
      { tagged: false, lists: [{ resource: null, conditions: [tok(T1)] }] },
    ],
    [
      'quoted-pair and empty entity tag',
      '(["a\\"b"] [""])',
      { tagged: false, lists: [{ resource: null, conditions: [etag('"a\\"b"'), etag('""')] }] },
    ],
    [
      'resource tag with a query',
      '</a/b?x=1> (["1"])',
      { tagged: true, lists: [{ resource: '/a/b?x=1', conditions: [etag('"1"')] }] },
    ],
  ])('%s', (_, raw, expected) => {
    expect(parseIfHeader(raw)).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['no parentheses', `<${T1}>`],
    ['empty list', '()'],
    ['unterminated list', `(<${T1}>`],
    ['unterminated coded URL', `(<${T1})`],
    ['tagged after untagged', `(<${T1}>) </a> (<${T2}>)`],
    ['a tag without a list', '</a>'],
    ['a relative tag (not a Simple-ref)', `<rfc2518.doc> (<${T1}>)`],
    ['two tags in a row', `</a> </b> (<${T1}>)`],
    ['same tag twice in a row', `</a> (<${T1}>) </a> </a> (<${T2}>)`],
    ['trailing tag', `</a> (<${T1}>) </b>`],
    ['relative state token', '(<no-scheme>)'],
    ['space in state token', '(<urn:uuid:a b>)'],
    ['empty state token', '(<>)'],
    ['unquoted etag', '([abc])'],
    ['etag not closed', '(["abc")'],
    ['etag not closed by ]', '(["abc" x])'],
    ['control character in etag', '(["a\u0001b"])'],
    ['bare word', '(foo)'],
    ['Not alone', '(Not)'],
    ['Not Not', `(Not Not <${T1}>)`],
    ['comma between lists', `(<${T1}>), (<${T2}>)`],
    ['network-path tag', `<//host/a> (<${T1}>)`],
    ['tag with a space', `</a b> (<${T1}>)`],
    ['tag with bad escape', `</a%zz> (<${T1}>)`],
    ['tag the URL parser refuses', `<http://[zz]/a> (<${T1}>)`],
    ['junk after', `(<${T1}>) x`],
    ['too many conditions', `(${`<${T1}> `.repeat(MAX_IF_CONDITIONS + 1)})`],
  ])('refuses %s', (_, raw) => {
    const err = headerError(() => parseIfHeader(raw));
    expect([err.status, err.header]).toEqual([400, 'If']);
  });

  it('refuses a header sent twice', () => {
    expect(headerError(() => parseIfHeader([`(<${T1}>)`, `(<${T2}>)`])).reason).toMatch(/more than once/);
  });

  // Round trip: any header built from the grammar, spelled with arbitrary white space and
  // casing of Not, parses back to its structure.
  const tokenArb = fc.constantFrom(T1, T2, 'DAV:no-lock', 'opaquelocktoken:abc-1', 'urn:x:%41');
  const etagArb = fc
    .tuple(fc.boolean(), fc.string({ unit: fc.constantFrom('a', ' ', '\\"', '\\\\', 'é', '\t', '-'), maxLength: 6 }))
    .map(([weak, body]) => `${weak ? 'W/' : ''}"${body}"`);
  const conditionArb: fc.Arbitrary<IfCondition> = fc.oneof(
    fc.record({ not: fc.boolean(), kind: fc.constant('token' as const), token: tokenArb }),
    fc.record({ not: fc.boolean(), kind: fc.constant('etag' as const), etag: etagArb }),
  );
  const listArb = fc.array(conditionArb, { minLength: 1, maxLength: 4 });
  const headerArb: fc.Arbitrary<IfHeader> = fc.oneof(
    fc.array(listArb, { minLength: 1, maxLength: 3 }).map((lists) => ({
      tagged: false,
      lists: lists.map((conditions) => ({ resource: null, conditions })),
    })),
    fc
      .array(fc.tuple(fc.constantFrom('/a', '/a/b%20c/', 'http://h.example/x?y', 'https://h.example:8443/'), fc.array(listArb, { minLength: 1, maxLength: 2 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((groups) => ({
        tagged: true,
        lists: groups.flatMap(([resource, lists]) => lists.map((conditions) => ({ resource, conditions }))),
      })),
  );
  const wsArb = fc.constantFrom('', ' ', '\t', '  ');

  it('parses what the grammar generates (property-based)', () => {
    fc.assert(
      fc.property(headerArb, fc.infiniteStream(wsArb), fc.infiniteStream(fc.constantFrom('Not', 'not', 'NOT')), (header, ws, nots) => {
        const w = () => ws.next().value;
        let text = w();
        let lastResource: string | null = null;
        for (const list of header.lists) {
          if (list.resource !== null && list.resource !== lastResource) text += `<${list.resource}>${w()}`;
          lastResource = list.resource;
          text += `(${w()}`;
          for (const c of list.conditions) {
            if (c.not) text += `${nots.next().value}${w()}`; // `Not<urn:...>` is fine too
            text += `${c.kind === 'token' ? `<${c.token}>` : `[${c.etag}]`}${w()}`;
          }
          text += `)${w()}`;
        }
        // Lists of one tag in a row are written under one tag, which is how they parse back.
        expect(parseIfHeader(text)).toEqual(header);
      }),
    );
  });

  it('throws only DavHeaderError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('(', ')', '<', '>', '[', ']', '"', 'Not ', 'urn:a', '/x', ' ', 'W/', '\\') }), (s) => {
        try {
          parseIfHeader(s);
        } catch (e) {
          expect(e).toBeInstanceOf(DavHeaderError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('evaluateIf', () => {
  const REQUEST = 'http://www.example.com/specs/rfc2518.doc';
  const states: Record<string, IfResourceState> = {
    // The request URI: locked by T1, etag "4217".
    request: { etag: '"4217"', lockTokens: [T1] },
    'http://www.example.com/resource1': { etag: 'W/"A weak ETag"', lockTokens: [T1] },
    'http://www.example.com/specs/': { etag: null, lockTokens: [T1] },
    'http://www.example.com/specs/rfc2518.doc': { etag: '"4217"', lockTokens: [T1] },
    'http://www.example.com/unlocked': { etag: '"1"', lockTokens: [] },
  };
  const UNMAPPED: IfResourceState = { etag: null, lockTokens: [] };
  const resolve = (url: string | null) => (url === null ? states.request! : (states[url] ?? UNMAPPED));

  it.each<[string, string, boolean]>([
    ['matching token', `(<${T1}>)`, true],
    ['other token', `(<${T2}>)`, false],
    ['§10.4.7: Not T1 fails on a resource locked by T1', `(Not <${T1}> <${T2}>)`, false],
    ['§10.4.8: (T1) or (Not no-lock)', `(<${T2}>) (Not <DAV:no-lock>)`, true],
    ['DAV:no-lock never matches', '(<DAV:no-lock>)', false],
    ['§10.4.6: token and etag', `(<${T1}> ["4217"])`, true],
    ['§10.4.6: token matches, etag does not', `(<${T1}> ["I am an ETag"]) (["I am another ETag"])`, false],
    ['one list of several suffices', `(["nope"]) (["4217"])`, true],
    ['weak tag does not match the strong one', '([W/"4217"])', false],
    ['strong tag does not match a weak one', '</resource1> (["A weak ETag"])', false],
    ['weak tag matches itself', `</resource1> (<${T1}> [W/"A weak ETag"])`, true],
    ['§10.4.10: tag on the locked collection', `<http://www.example.com/specs/> (<${T1}>)`, true],
    ['§10.4.11: Not etag on the tagged resource', '</specs/rfc2518.doc> (Not ["4217"])', false],
    ['tagged resource without a lock', `</unlocked> (<${T1}>)`, false],
    ['unmapped resource: Not no-lock holds', '</nowhere> (Not <DAV:no-lock>)', true],
    ['unmapped resource: no etag matches', '</nowhere> (["4217"])', false],
    ['unmapped resource: Not etag holds', '</nowhere> (Not ["4217"])', true],
  ])('%s → %s', (_, raw, holds) => {
    expect(evaluateIf(parseIfHeader(raw), resolve, REQUEST).holds).toBe(holds);
  });

  it('a missing header holds and submits nothing', () => {
    expect(evaluateIf(null, resolve, REQUEST)).toEqual({ holds: true, submittedTokens: new Set() });
  });

  it('every state token in the header is submitted, even under Not or another tag (§10.4.1)', () => {
    const header = parseIfHeader(`</x> (Not <${T1}>) </other> (<${T2}>)`);
    const result = evaluateIf(header, resolve, REQUEST);
    expect([...result.submittedTokens].sort()).toEqual([T1, T2].sort());
  });

  it('resolves each resource once, tags made absolute against the request URL', () => {
    const seen: Array<string | null> = [];
    const header = parseIfHeader(`</specs/> (<${T2}>) (<${T1}>) </specs/> (["x"]) <http://www.example.com/specs/> (["y"])`)!;
    evaluateIf(header, (url) => (seen.push(url), resolve(url)), REQUEST);
    expect(seen).toEqual(['http://www.example.com/specs/']);
    expect(ifHeaderResources(header, REQUEST)).toEqual(['http://www.example.com/specs/']);
    expect(ifHeaderResources(parseIfHeader(`(<${T1}>) (["x"])`)!, REQUEST)).toEqual([null]);
  });

  it('a list holds iff all its conditions hold; the header iff some list does (property-based)', () => {
    const stateArb = fc.record({ etag: fc.option(fc.constantFrom('"a"', 'W/"a"', '"b"'), { nil: null }), lockTokens: fc.subarray([T1, T2]) });
    const condArb = fc.oneof(
      fc.record({ not: fc.boolean(), kind: fc.constant('token' as const), token: fc.constantFrom(T1, T2, 'DAV:no-lock') }),
      fc.record({ not: fc.boolean(), kind: fc.constant('etag' as const), etag: fc.constantFrom('"a"', 'W/"a"', '"b"') }),
    );
    fc.assert(
      fc.property(stateArb, fc.array(fc.array(condArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), (state, lists) => {
        const header: IfHeader = { tagged: false, lists: lists.map((conditions) => ({ resource: null, conditions })) };
        const single = (c: IfCondition) => {
          const one: IfHeader = { tagged: false, lists: [{ resource: null, conditions: [c] }] };
          return evaluateIf(one, () => state, REQUEST).holds;
        };
        const expected = lists.some((l) => l.every(single));
        expect(evaluateIf(header, () => state, REQUEST).holds).toBe(expected);
      }),
    );
  });
});

describe('parseDepth', () => {
  it.each<[string | undefined, Depth, Depth]>([
    [undefined, 'infinity', 'infinity'],
    [undefined, 0, 0],
    ['0', 'infinity', 0],
    ['1', 'infinity', 1],
    ['infinity', 0, 'infinity'],
    ['Infinity', 0, 'infinity'],
    [' 1 ', 0, 1],
  ])('%s (default %s) → %s', (raw, def, expected) => {
    expect(parseDepth(raw, def)).toBe(expected);
  });

  it.each(['', '2', '-1', '01', 'inf', 'infinite', '1,0', '0 1'])('refuses %j', (raw) => {
    expect(headerError(() => parseDepth(raw, 0)).header).toBe('Depth');
  });

  it('refuses a depth the method does not take (LOCK: 0 or infinity)', () => {
    expect(parseDepth('0', 'infinity', [0, 'infinity'])).toBe(0);
    expect(headerError(() => parseDepth('1', 'infinity', [0, 'infinity'])).reason).toMatch(/not allowed/);
  });

  it('refuses a header sent twice', () => {
    expect(() => parseDepth(['0', '1'], 0)).toThrow(DavHeaderError);
    expect(parseDepth(['1'], 0)).toBe(1);
  });
});

describe('parseTimeout', () => {
  const WEEK = 604800;

  it.each<[string | string[] | undefined, number]>([
    [undefined, 3600],
    ['Second-10', 10],
    ['second-10', 10],
    ['Infinite', WEEK],
    ['Infinite, Second-4100000000', WEEK],
    ['Second-4100000000', WEEK],
    ['Second-99999999999999999999999999999', WEEK],
    ['Second-604800', WEEK],
    ['Second-0', 1],
    ['Second-60, Infinite', 60],
    [' Second-60 ,, Second-5', 60],
    [['Second-30', 'Infinite'], 30],
  ])('%j → %i', (raw, seconds) => {
    expect(parseTimeout(raw)).toBe(seconds);
  });

  it('takes other defaults and caps', () => {
    expect(parseTimeout(undefined, { defaultSeconds: 120 })).toBe(120);
    expect(parseTimeout('Infinite', { maxSeconds: 3600 })).toBe(3600);
  });

  it.each(['', ',', 'Second-', 'Second--1', 'Second-1.5', 'Seconds-10', '10', 'Infinite, junk', 'Second-1 0'])('refuses %j', (raw) => {
    expect(headerError(() => parseTimeout(raw)).header).toBe('Timeout');
  });
});

describe('parseOverwrite', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['T', true],
    ['F', false],
    ['f', false],
    [' T ', true],
  ])('%j → %s', (raw, expected) => {
    expect(parseOverwrite(raw)).toBe(expected);
  });

  it.each(['', 'true', 'Y', 'TF'])('refuses %j', (raw) => {
    expect(() => parseOverwrite(raw)).toThrow(DavHeaderError);
  });
});

describe('parseDestination', () => {
  it.each<[string, { scheme: string | null; host: string | null; rawPath: string; path: string }]>([
    ['http://www.example.com/dav/a%20b', { scheme: 'http', host: 'www.example.com', rawPath: '/dav/a%20b', path: '/dav/a b' }],
    ['HTTPS://WWW.Example.com:443/dav/', { scheme: 'https', host: 'www.example.com', rawPath: '/dav/', path: '/dav/' }],
    ['http://example.com:8080/dav/%C3%A4?q=1', { scheme: 'http', host: 'example.com:8080', rawPath: '/dav/%C3%A4', path: '/dav/ä' }],
    ['http://[::1]:80/x', { scheme: 'http', host: '[::1]', rawPath: '/x', path: '/x' }],
    ['http://example.com', { scheme: 'http', host: 'example.com', rawPath: '/', path: '/' }],
    ['/dav/new%25name', { scheme: null, host: null, rawPath: '/dav/new%25name', path: '/dav/new%name' }],
    ['/dav/a;b=c', { scheme: null, host: null, rawPath: '/dav/a;b=c', path: '/dav/a;b=c' }],
    [' /dav/x ', { scheme: null, host: null, rawPath: '/dav/x', path: '/dav/x' }],
  ])('%s', (raw, expected) => {
    expect(parseDestination(raw)).toEqual(expected);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['relative', 'dav/x'],
    ['network-path', '//evil.example/dav/x'],
    ['ftp', 'ftp://example.com/x'],
    ['no host', 'http:///x'],
    ['fragment', 'http://example.com/x#frag'],
    ['space', 'http://example.com/a b'],
    ['raw non-ASCII', '/dav/ä'],
    ['bad escape', '/dav/%zz'],
    ['truncated escape', '/dav/%4'],
    ['invalid UTF-8 escape', '/dav/%FF'],
    ['overlong UTF-8 escape', '/dav/%C0%AF'],
    ['encoded slash', '/dav/a%2Fb'],
    ['encoded backslash', '/dav/a%5Cb'],
    ['encoded NUL', '/dav/a%00'],
    ['dot-dot', '/dav/../etc'],
    ['encoded dot-dot', '/dav/%2e%2E/etc'],
    ['dot', 'http://example.com/dav/./x'],
    ['raw control character', '/dav/\u0001'],
  ])('refuses %s', (_, raw) => {
    expect(headerError(() => parseDestination(raw)).header).toBe('Destination');
  });

  it.each([
    ['http://user:pw@example.com/x', 'http', 'example.com'],
    ['http://lftpuser:secret-1@127.0.0.1:8080/dav/moved.txt', 'http', '127.0.0.1:8080'],
    ['https://u%40x:p%3A%2Fss@[::1]:443/dav/a', 'https', '[::1]'],
    ['http://user@example.com:80/x', 'http', 'example.com'],
    ['http://us@er:p@ss@example.com/x', 'http', 'example.com'], // an unencoded @: the last one ends the user info
  ])('drops the user info of %s, keeping none of it', (raw, scheme, host) => {
    const dest = parseDestination(raw);
    expect(dest).toMatchObject({ scheme, host });
    expect(JSON.stringify(dest)).not.toMatch(/pw|secret|p%3A|ss@|user|lftpuser/);
  });

  it('refuses user info without a host', () => {
    expect(headerError(() => parseDestination('http://user:pw@/x')).reason).toBe('no host');
  });

  it('decodes once: %252e%252e is the name "%2e%2e", not ..', () => {
    expect(parseDestination('/dav/%252e%252e/x').path).toBe('/dav/%2e%2e/x');
  });

  it('normalizeHost matches what parseDestination returns', () => {
    expect(normalizeHost('WWW.example.com:80', 'http')).toBe('www.example.com');
    expect(normalizeHost('example.com:443', 'http')).toBe('example.com:443');
    expect(normalizeHost('example.com:443', 'https')).toBe('example.com');
  });

  it('decoded path and raw path agree for any path (property-based)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !/[/\\\u0000]/.test(s) && s !== '.' && s !== '..')), (segments) => {
        const path = `/${segments.join('/')}`;
        const raw = `/${segments.map(encodeURIComponent).join('/')}`;
        expect(parseDestination(`https://example.com${raw}`)).toEqual({ scheme: 'https', host: 'example.com', rawPath: raw, path });
      }),
    );
  });
});

describe('parseLockToken', () => {
  it.each([
    [`<${T1}>`, T1],
    [` <opaquelocktoken:abc> `, 'opaquelocktoken:abc'],
  ])('%s', (raw, token) => {
    expect(parseLockToken(raw)).toBe(token);
  });

  it.each([undefined, '', T1, `<${T1}`, '<>', '<no-scheme>', '<urn:a b>', `<${T1}><${T2}>`, `(<${T1}>)`])('refuses %j', (raw) => {
    expect(headerError(() => parseLockToken(raw)).header).toBe('Lock-Token');
  });
});
