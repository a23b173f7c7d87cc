import { describe, expect, it } from 'vitest';
import {
  asksForChecksums,
  checksumsProperty,
  contradictedClaim,
  DAV_LASTMODIFIED,
  OC_CHECKSUMS,
  parseChecksumList,
  parseMtimeValue,
  parseOcChecksum,
  parseOcMtime,
  settableLive,
  SyncHeaderError,
  WIN32_LAST_MODIFIED,
} from './sync-clients.js';
import { readContent } from './xml-test-reader.js';
import { davName } from './xml-common.js';
import { parsePropfind, parseProppatch } from './xml-request.js';

const SHA1 = 'f572d396fae9206628714fb2ce00f72e94f2258f';
const MD5 = 'b1946ac92492d2347c6235b4d2611184';

describe('X-OC-Mtime', () => {
  it('reads Unix seconds, integer or decimal, negative too; absent is null', () => {
    expect(parseOcMtime(undefined)).toBeNull();
    expect(parseOcMtime('1500000000')?.getTime()).toBe(1_500_000_000_000);
    expect(parseOcMtime(' 1500000000.25 ')?.getTime()).toBe(1_500_000_000_250);
    expect(parseOcMtime('-86400')?.getTime()).toBe(-86_400_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'now', '1e9', '0x10', '1500000000,5', '1234567890123', '1.1234567891']) {
      expect(() => parseOcMtime(bad), bad).toThrow(SyncHeaderError);
    }
  });
});

describe('OC-Checksum', () => {
  it('reads SHA1 and MD5 in any case, several at once', () => {
    expect(parseOcChecksum(undefined)).toBeNull();
    expect(parseOcChecksum(`SHA1:${SHA1.toUpperCase()}`)).toEqual([{ algorithm: 'sha1', hex: SHA1 }]);
    expect(parseOcChecksum(`sha1:${SHA1} MD5:${MD5}`)).toEqual([
      { algorithm: 'sha1', hex: SHA1 },
      { algorithm: 'md5', hex: MD5 },
    ]);
    expect(parseOcChecksum(`MD5:${MD5},SHA1:${SHA1}`)).toHaveLength(2);
  });

  it('refuses other types, wrong lengths and malformed values, saying which', () => {
    expect(() => parseOcChecksum('ADLER32:084b021f')).toThrow(/unsupported checksum type "ADLER32"/);
    expect(() => parseOcChecksum(`SHA1:${SHA1}0`)).toThrow(/40 hex digits/);
    expect(() => parseOcChecksum('SHA1:xyz')).toThrow(/not TYPE:hex/);
    expect(() => parseOcChecksum('  ')).toThrow(/expected TYPE:hex/);
  });

  it('names the first claim the digests contradict', () => {
    const claims = parseChecksumList(`SHA1:${SHA1} MD5:${MD5}`);
    if (typeof claims === 'string') throw new Error(claims);
    expect(contradictedClaim(claims, { sha1: SHA1, md5: MD5 })).toBeNull();
    expect(contradictedClaim(claims, { sha1: SHA1, md5: '0'.repeat(32) })).toEqual({ algorithm: 'md5', hex: MD5 });
    expect(contradictedClaim(claims, {})).toEqual({ algorithm: 'sha1', hex: SHA1 });
  });
});

describe('PROPPATCH values and names', () => {
  it('takes a time as Unix seconds or an RFC 1123 date, nothing else', () => {
    expect(parseMtimeValue(' 1234567890 ')?.getTime()).toBe(1_234_567_890_000);
    expect(parseMtimeValue('Wed, 01 Jan 2020 10:00:00 GMT')?.getTime()).toBe(Date.UTC(2020, 0, 1, 10));
    expect(parseMtimeValue('Wed, 1 Jan 2020 10:00:00 +0100')?.getTime()).toBe(Date.UTC(2020, 0, 1, 9));
    for (const bad of ['', 'tomorrow', '2020-01-01T10:00:00Z', 'Wed, 32 Jan 2020 10:00:00 GMT', '1.5e9']) expect(parseMtimeValue(bad), bad).toBeNull();
  });

  it('knows which names are sync clients\' live properties', () => {
    expect(settableLive(WIN32_LAST_MODIFIED)).toBe('mtime');
    expect(settableLive(DAV_LASTMODIFIED)).toBe('mtime');
    expect(settableLive(OC_CHECKSUMS)).toBe('checksums');
    expect(settableLive(davName('getlastmodified'))).toBeNull();
    expect(settableLive({ ns: 'urn:schemas-microsoft-com:', local: 'Win32FileAttributes' })).toBeNull();
  });

  it('reads a property\'s text through nested elements, as rclone nests oc:checksum', () => {
    const ops = parseProppatch(
      `<D:propertyupdate xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:set><D:prop><lastmodified xmlns="DAV:">1234567890</lastmodified>` +
        `<oc:checksums><oc:checksum>SHA1:${SHA1}</oc:checksum><oc:checksum>MD5:${MD5}</oc:checksum></oc:checksums></D:prop></D:set></D:propertyupdate>`,
    );
    const texts = ops.map((op) => (op.op === 'set' ? op.text : null));
    expect(texts[0]).toBe('1234567890');
    expect(parseChecksumList(texts[1]!)).toEqual([
      { algorithm: 'sha1', hex: SHA1 },
      { algorithm: 'md5', hex: MD5 },
    ]);
  });

  it('asks for checksums when PROPFIND names them, includes them or asks for names', () => {
    const oc = 'xmlns:oc="http://owncloud.org/ns"';
    expect(asksForChecksums(parsePropfind(`<D:propfind xmlns:D="DAV:" ${oc}><D:prop><oc:checksums/></D:prop></D:propfind>`))).toBe(true);
    expect(asksForChecksums(parsePropfind(`<D:propfind xmlns:D="DAV:" ${oc}><D:allprop/><D:include><oc:checksums/></D:include></D:propfind>`))).toBe(true);
    expect(asksForChecksums(parsePropfind('<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'))).toBe(true);
    expect(asksForChecksums(parsePropfind(''))).toBe(false);
    expect(asksForChecksums(parsePropfind('<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'))).toBe(false);
  });

  it('shows the checksums as ownCloud does, self-contained XML', () => {
    const p = checksumsProperty({ sha1: SHA1, md5: MD5 });
    expect(p.name).toEqual(OC_CHECKSUMS);
    expect(readContent(p.valueXml!)).toEqual([{ ns: 'http://owncloud.org/ns', local: 'checksum', prefix: 'oc', attrs: [], children: [`SHA1:${SHA1} MD5:${MD5}`] }]);
  });
});
