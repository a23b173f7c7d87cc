import { describe, expect, it } from 'vitest';
import { isProtected, liveProperties, propstatsFor } from './properties.js';
import { DAV_NS } from './xml-common.js';

const file = { collection: false, size: 3, modified: new Date('2025-01-02T03:04:05Z'), etag: '"e"', contentType: 'text/plain' };
const folder = { ...file, collection: true, size: 0 };
const dead = [{ name: { ns: 'urn:z', local: 'color' }, valueXml: 'blue', lang: 'en' }];
const names = (props: ReadonlyArray<{ name: { local: string } }>) => props.map((p) => p.name.local);

describe('live properties', () => {
  it('files have length, type and tag; collections do not', () => {
    expect(names(liveProperties(file, []))).toEqual(['creationdate', 'getcontentlength', 'getcontenttype', 'getetag', 'getlastmodified', 'resourcetype', 'supportedlock', 'lockdiscovery']);
    expect(names(liveProperties(folder, []))).toEqual(['creationdate', 'getlastmodified', 'resourcetype', 'supportedlock', 'lockdiscovery']);
    expect(liveProperties(folder, []).find((p) => p.name.local === 'resourcetype')!.valueXml).toBe('<D:collection/>');
  });

  it('protects exactly the live names in DAV:', () => {
    expect(isProtected({ ns: DAV_NS, local: 'getetag' })).toBe(true);
    expect(isProtected({ ns: DAV_NS, local: 'displayname' })).toBe(false);
    expect(isProtected({ ns: 'urn:z', local: 'getetag' })).toBe(false);
  });
});

describe('propstatsFor', () => {
  const live = liveProperties(file, []);

  it('allprop: live and dead properties with values', () => {
    const [ok] = propstatsFor({ kind: 'allprop', include: [] }, live, dead);
    expect(ok!.status).toBe(200);
    expect(names(ok!.props)).toEqual([...names(live), 'color']);
    expect(ok!.props.at(-1)).toEqual({ name: { ns: 'urn:z', local: 'color' }, valueXml: 'blue', lang: 'en' });
  });

  it('propname: names only', () => {
    const [ok] = propstatsFor({ kind: 'propname' }, live, dead);
    expect(ok!.props.every((p) => p.valueXml === undefined)).toBe(true);
    expect(names(ok!.props)).toContain('color');
  });

  it('prop: found ones 200, others 404, in the order asked', () => {
    const [ok, missing] = propstatsFor(
      { kind: 'prop', props: [{ ns: 'urn:z', local: 'color' }, { ns: DAV_NS, local: 'getetag' }, { ns: 'urn:z', local: 'size' }, { ns: DAV_NS, local: 'getcontentlength' }] },
      liveProperties(folder, []),
      dead,
    );
    expect(ok!.status).toBe(200);
    expect(names(ok!.props)).toEqual(['color']);
    expect(missing!.status).toBe(404);
    expect(names(missing!.props)).toEqual(['getetag', 'size', 'getcontentlength']);
  });

  it('a dead property never shadows a live one of the same name', () => {
    const [ok] = propstatsFor({ kind: 'prop', props: [{ ns: DAV_NS, local: 'getetag' }] }, live, [{ name: { ns: DAV_NS, local: 'getetag' }, valueXml: 'fake', lang: null }]);
    expect(ok!.props[0]!.valueXml).toBe('"e"');
  });
});
