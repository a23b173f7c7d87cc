import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActiveLock } from './locks.js';
import { davErrorXml, encodeHref, liveProps, lockResponseXml, MultistatusWriter, type PropStat, statusLine } from './multistatus.js';
import { DAV_NS } from './xml-common.js';
import { elementChildren, findElement, type InfoElement, readXml, textOf } from './xml-test-reader.js';

const D = (local: string) => ({ ns: DAV_NS, local });

function document(responses: Array<[string, PropStat[]]>): { xml: string; chunks: string[] } {
  const w = new MultistatusWriter();
  const chunks = [w.start(), ...responses.map(([href, ps]) => w.response(href, ps)), w.end()];
  return { xml: chunks.join(''), chunks };
}

/** The property elements of the first propstat with `status`, read back as a client would. */
function propsWithStatus(xml: string, status: number): InfoElement[] {
  const doc = readXml(xml);
  const propstat = elementChildren(findElement(doc, DAV_NS, 'response')!).find(
    (c) => c.local === 'propstat' && textOf(findElement(c, DAV_NS, 'status')!).startsWith(`HTTP/1.1 ${status}`),
  );
  return propstat ? elementChildren(findElement(propstat, DAV_NS, 'prop')!) : [];
}

describe('MultistatusWriter', () => {
  it('streams a document chunk by chunk', () => {
    const { xml, chunks } = document([
      ['/dav/', [{ status: 200, props: [liveProps.resourcetype(true)] }]],
      ['/dav/a.txt', [{ status: 200, props: [liveProps.getcontentlength(3)] }]],
    ]);
    expect(chunks).toEqual([
      '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">',
      '<D:response><D:href>/dav/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>',
      '<D:response><D:href>/dav/a.txt</D:href><D:propstat><D:prop><D:getcontentlength>3</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>',
      '</D:multistatus>',
    ]);
    const root = readXml(xml);
    expect([root.ns, root.local]).toEqual([DAV_NS, 'multistatus']);
    expect(elementChildren(root).map((r) => textOf(findElement(r, DAV_NS, 'href')!))).toEqual(['/dav/', '/dav/a.txt']);
  });

  it('writes found and missing properties in separate propstats, with any namespace', () => {
    const { xml } = document([
      [
        '/dav/f',
        [
          { status: 200, props: [{ name: { ns: 'urn:a', local: 'x' }, valueXml: 'one' }, { name: { ns: '', local: 'bare' }, valueXml: 'two' }] },
          { status: 404, props: [{ name: { ns: 'urn:b', local: 'y' } }, { name: { ns: 'urn:a', local: 'z' } }, { name: D('getetag') }] },
        ],
      ],
    ]);
    const found = propsWithStatus(xml, 200).map((e) => [e.ns, e.local, textOf(e)]);
    const missing = propsWithStatus(xml, 404).map((e) => [e.ns, e.local, e.children.length]);
    expect(found).toEqual([
      ['urn:a', 'x', 'one'],
      ['', 'bare', 'two'],
    ]);
    expect(missing).toEqual([
      ['urn:b', 'y', 0],
      ['urn:a', 'z', 0],
      [DAV_NS, 'getetag', 0],
    ]);
  });

  it('gives each namespace a stable prefix, declared on every element that uses it', () => {
    const w = new MultistatusWriter();
    w.start();
    const a = w.response('/a', [{ status: 200, props: [{ name: { ns: 'urn:a', local: 'x' } }, { name: { ns: 'urn:b', local: 'y' } }] }]);
    const b = w.response('/b', [{ status: 200, props: [{ name: { ns: 'urn:b', local: 'y' } }, { name: { ns: 'urn:a', local: 'x' } }] }]);
    expect(a).toContain('<ns0:x xmlns:ns0="urn:a"/><ns1:y xmlns:ns1="urn:b"/>');
    expect(b).toContain('<ns1:y xmlns:ns1="urn:b"/><ns0:x xmlns:ns0="urn:a"/>');
  });

  it('escapes namespace names and keeps DAV: on D', () => {
    const { xml } = document([['/f', [{ status: 200, props: [{ name: { ns: 'urn:q"&<', local: 'x' } }, { name: D('displayname') }] }]]]);
    expect(xml).toContain('xmlns:ns0="urn:q&quot;&amp;&lt;"');
    expect(xml).toContain('<D:displayname/>');
    expect(propsWithStatus(xml, 200).map((e) => e.ns)).toEqual(['urn:q"&<', DAV_NS]);
  });

  it('puts xml:lang on the property element when given', () => {
    const { xml } = document([['/f', [{ status: 200, props: [{ name: { ns: 'urn:a', local: 'x' }, valueXml: 'Farbe', lang: 'de' }] }]]]);
    expect(xml).toContain('<ns0:x xmlns:ns0="urn:a" xml:lang="de">Farbe</ns0:x>');
  });

  it('leaves out empty propstats, but always writes one', () => {
    const { chunks } = document([
      ['/f', [{ status: 200, props: [] }, { status: 404, props: [{ name: D('getetag') }] }]],
      ['/g', [{ status: 404, props: [] }]],
      ['/h', []],
    ]);
    expect(chunks[1]).not.toContain('200 OK');
    expect(chunks[2]).toBe('<D:response><D:href>/g</D:href><D:propstat><D:prop></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>');
    expect(chunks[3]).toBe(chunks[2]!.replace('/g', '/h'));
  });

  it('writes a propstat error and a status-only response', () => {
    const w = new MultistatusWriter();
    w.start();
    expect(w.response('/f', [{ status: 403, props: [{ name: D('getetag') }], error: 'cannot-modify-protected-property' }])).toBe(
      '<D:response><D:href>/f</D:href><D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status>' +
        '<D:error><D:cannot-modify-protected-property/></D:error></D:propstat></D:response>',
    );
    expect(w.statusResponse('/dav/locked dir/', 423, 'lock-token-submitted')).toBe(
      '<D:response><D:href>/dav/locked%20dir/</D:href><D:status>HTTP/1.1 423 Locked</D:status>' +
        '<D:error><D:lock-token-submitted/></D:error></D:response>',
    );
    expect(w.statusResponse('/x', 424)).toBe('<D:response><D:href>/x</D:href><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:response>');
  });

  it('refuses calls out of order and names that are not XML names', () => {
    const w = new MultistatusWriter();
    expect(() => w.response('/a', [])).toThrow(/called when new/);
    expect(() => w.end()).toThrow();
    w.start();
    expect(() => w.start()).toThrow();
    expect(() => w.response('/a', [{ status: 200, props: [{ name: { ns: 'urn:a', local: 'a b' } }] }])).toThrow(TypeError);
    expect(() => w.response('/a', [{ status: 200, props: [{ name: { ns: 'urn:a', local: 'x:y' } }] }])).toThrow(TypeError);
    expect(() => w.response('/a', [{ status: 200, props: [{ name: D('a') }], error: '<script>' }])).toThrow(TypeError);
    expect(() => w.response('relative', [])).toThrow(TypeError);
    w.end();
    expect(() => w.response('/a', [])).toThrow(/called when ended/);
  });
});

describe('encodeHref', () => {
  it.each([
    ['/', '/'],
    ['/dav/', '/dav/'],
    ['/dav/a b/', '/dav/a%20b/'],
    ['/dav/ä/😀.txt', '/dav/%C3%A4/%F0%9F%98%80.txt'],
    ['/dav/50%;api_key=x', '/dav/50%25%3Bapi_key%3Dx'],
    ['/dav/q?x#y', '/dav/q%3Fx%23y'],
    ['/dav/<&>"', '/dav/%3C%26%3E%22'],
    ["/dav/it's (1)!*~-_.", "/dav/it's%20(1)!*~-_."],
    ['/dav/a+b,c@d:e$f', '/dav/a%2Bb%2Cc%40d%3Ae%24f'],
    ['/dav/\\', '/dav/%5C'],
    ['/dav/lone\uD800', '/dav/lone%EF%BF%BD'],
  ])('%s → %s', (path, href) => {
    expect(encodeHref(path)).toBe(href);
  });

  it('decodes back to the path, segment by segment, and leaves only safe characters', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }).filter((s) => !s.includes('/'))), (segments) => {
        const path = `/${segments.join('/')}`;
        const href = encodeHref(path);
        expect(href).toMatch(/^[A-Za-z0-9\-._~!*'()%/]*$/);
        expect(href.split('/').map(decodeURIComponent)).toEqual(path.split('/'));
      }),
    );
  });
});

describe('statusLine', () => {
  it.each([
    [200, 'HTTP/1.1 200 OK'],
    [404, 'HTTP/1.1 404 Not Found'],
    [422, 'HTTP/1.1 422 Unprocessable Entity'],
    [423, 'HTTP/1.1 423 Locked'],
    [507, 'HTTP/1.1 507 Insufficient Storage'],
    [299, 'HTTP/1.1 299'],
  ])('%i', (status, line) => {
    expect(statusLine(status)).toBe(line);
  });

  it.each([0, 99, 600, 200.5, Number.NaN])('refuses %d', (status) => {
    expect(() => statusLine(status)).toThrow(RangeError);
  });
});

describe('davErrorXml', () => {
  it.each([
    ['propfind-finite-depth', [], '<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>'],
    ['lock-token-submitted', ['/dav/locked/'], '<D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>/dav/locked/</D:href></D:lock-token-submitted></D:error>'],
    [
      'no-conflicting-lock',
      ['/dav/a b', '/dav/c'],
      '<D:error xmlns:D="DAV:"><D:no-conflicting-lock><D:href>/dav/a%20b</D:href><D:href>/dav/c</D:href></D:no-conflicting-lock></D:error>',
    ],
  ])('%s', (condition, hrefs, xml) => {
    expect(davErrorXml(condition, hrefs)).toBe(xml);
    expect(readXml(xml).local).toBe('error');
  });

  it('refuses a condition that is not an XML name', () => {
    expect(() => davErrorXml('a/><x')).toThrow(TypeError);
  });
});

describe('live properties', () => {
  const lock: ActiveLock = {
    token: 'urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4',
    root: '/dav/my docs/',
    depth: 'infinity',
    scope: 'exclusive',
    owner: '<D:href xmlns:D="DAV:">http://example.org/~ejw/contact.html</D:href>',
    timeoutSeconds: 604800,
  };

  it.each([
    ['getlastmodified', liveProps.getlastmodified(new Date(Date.UTC(1994, 10, 15, 8, 12, 31))), 'Tue, 15 Nov 1994 08:12:31 GMT'],
    ['creationdate', liveProps.creationdate(new Date(Date.UTC(1997, 11, 1, 17, 42, 21, 123))), '1997-12-01T17:42:21Z'],
    ['getcontentlength', liveProps.getcontentlength(0), '0'],
    ['getcontentlength', liveProps.getcontentlength(2n ** 60n), '1152921504606846976'],
    ['getetag', liveProps.getetag('W/"a&b"'), 'W/"a&amp;b"'],
    ['resourcetype', liveProps.resourcetype(true), '<D:collection/>'],
    ['resourcetype', liveProps.resourcetype(false), ''],
    ['getcontenttype', liveProps.getcontenttype('text/plain; charset=utf-8'), 'text/plain; charset=utf-8'],
    ['displayname', liveProps.displayname('Tom & Jerry <3'), 'Tom &amp; Jerry &lt;3'],
    [
      'supportedlock',
      liveProps.supportedlock(),
      '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>',
    ],
    ['lockdiscovery', liveProps.lockdiscovery([]), ''],
  ])('%s → %s', (local, prop, valueXml) => {
    expect(prop).toEqual({ name: D(local), valueXml });
  });

  it('getlastmodified is an RFC 1123 date for any time', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (date) => {
        const { valueXml } = liveProps.getlastmodified(date);
        expect(valueXml).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
        expect(Date.parse(valueXml!)).toBe(Math.floor(date.getTime() / 1000) * 1000);
      }),
    );
  });

  it.each([
    () => liveProps.getlastmodified(new Date(Number.NaN)),
    () => liveProps.creationdate(new Date('nope')),
    () => liveProps.getcontentlength(-1),
    () => liveProps.getcontentlength(1.5),
    () => liveProps.getcontentlength(-1n),
  ])('refuses bad input (%#)', (make) => {
    expect(make).toThrow(RangeError);
  });

  it('lockdiscovery shows each active lock as RFC 4918 §14.1 describes', () => {
    const shared: ActiveLock = { ...lock, token: 'urn:uuid:2', root: '/dav/f', depth: 0, scope: 'shared', owner: null, timeoutSeconds: 9.2 };
    const { xml } = document([['/dav/f', [{ status: 200, props: [liveProps.lockdiscovery([lock, shared])] }]]]);
    const [discovery] = propsWithStatus(xml, 200);
    expect(elementChildren(elementChildren(discovery!)[0]!).map((c) => c.local)).toEqual([
      'lockscope',
      'locktype',
      'depth',
      'owner',
      'timeout',
      'locktoken',
      'lockroot',
    ]);
    const active = elementChildren(discovery!).map((a) =>
      Object.fromEntries(elementChildren(a).map((c) => [c.local, elementChildren(c)[0]?.local === 'href' ? textOf(c) : elementChildren(c)[0]?.local ?? textOf(c)])),
    );
    expect(active).toEqual([
      {
        locktype: 'write',
        lockscope: 'exclusive',
        depth: 'infinity',
        owner: 'http://example.org/~ejw/contact.html',
        timeout: 'Second-604800',
        locktoken: 'urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4',
        lockroot: '/dav/my%20docs/',
      },
      { locktype: 'write', lockscope: 'shared', depth: '0', timeout: 'Second-10', locktoken: 'urn:uuid:2', lockroot: '/dav/f' },
    ]);
  });

  it('writes Infinite for a lock without timeout', () => {
    expect(liveProps.lockdiscovery([{ ...lock, timeoutSeconds: 'infinite' }]).valueXml).toContain('<D:timeout>Infinite</D:timeout>');
  });

  it('lockResponseXml is the LOCK response body', () => {
    const xml = lockResponseXml({ ...lock, owner: 'litmus test suite' });
    const root = readXml(xml);
    expect([root.ns, root.local]).toEqual([DAV_NS, 'prop']);
    const active = findElement(root, DAV_NS, 'activelock')!;
    expect(textOf(findElement(active, DAV_NS, 'owner')!)).toBe('litmus test suite');
    expect(textOf(findElement(findElement(active, DAV_NS, 'locktoken')!, DAV_NS, 'href')!)).toBe(lock.token);
  });
});
