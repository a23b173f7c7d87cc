import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DavHeaderError } from './header-syntax.js';
import { evaluateIf, type IfCondition, type IfHeader, ifHeaderResources, type IfResourceState, MAX_IF_CONDITIONS, parseIfHeader } from './if-header.js';
import { headerError } from '../../../test/support/dav-header-error.js';

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';
const tok = (token: string, not = false): IfCondition => ({ not, kind: 'token', token });
const etag = (e: string, not = false): IfCondition => ({ not, kind: 'etag', etag: e });

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
