/**
 * What sync clients (rclone's `owncloud` vendor, ownCloud/Nextcloud-style clients, Windows'
 * WebDAV redirector) use beyond RFC 4918, as pure functions: the `X-OC-Mtime` and `OC-Checksum`
 * request headers, the `oc:checksums` property, and the properties that set a modification time
 * through PROPPATCH (`DAV:getlastmodified` itself stays protected, as RFC 4918 §15.7 makes it).
 */
import { httpDate } from '../../common/date-text.js';
import type { PropValue } from './multistatus.js';
import { DAV_NS, escapeXmlText, type QName, qnameKey } from './xml-common.js';
import type { PropfindRequest } from './xml-request.js';

export const OC_NS = 'http://owncloud.org/ns';
export const MS_NS = 'urn:schemas-microsoft-com:';

/** `oc:checksums`: `<oc:checksum>SHA1:<hex> MD5:<hex></oc:checksum>`, as ownCloud shows it. */
export const OC_CHECKSUMS: QName = { ns: OC_NS, local: 'checksums' };
/** Windows' modification time (an RFC 1123 date), read and set through PROPPATCH. */
export const WIN32_LAST_MODIFIED: QName = { ns: MS_NS, local: 'Win32LastModifiedTime' };
/**
 * ownCloud's (SabreDAV's) settable modification time, Unix seconds: what rclone's `owncloud` and
 * `nextcloud` vendors PROPPATCH. No RFC defines this name; it is never stored or shown.
 */
export const DAV_LASTMODIFIED: QName = { ns: DAV_NS, local: 'lastmodified' };

export type ChecksumAlgorithm = 'sha1' | 'md5';
export interface FileChecksums {
  readonly sha1: string;
  readonly md5: string;
}
export interface ClaimedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  readonly hex: string;
}

const HEX_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = { sha1: 40, md5: 32 };
/** The digests a WebDAV upload computes (atomic-write's names). */
export const UPLOAD_DIGESTS = ['sha1', 'md5'] as const;

/** A malformed or unsupported header: the caller answers 400 with this message. */
export class SyncHeaderError extends Error {}

/**
 * `X-OC-Mtime`: Unix seconds, integer or decimal, possibly negative (rclone sends `%d` of the
 * source's time). Null when absent.
 */
export function parseOcMtime(header: string | undefined): Date | null {
  if (header === undefined) return null;
  const date = secondsToDate(header.trim());
  if (date === null) throw new SyncHeaderError('X-OC-Mtime must be a Unix time in seconds (e.g. 1700000000)');
  return date;
}

/**
 * `OC-Checksum`: one or more `TYPE:hex` (space- or comma-separated), TYPE `SHA1` or `MD5` in any
 * case. Null when absent. Another type (ADLER32, ...) is refused rather than ignored: the client
 * asked for a check this server cannot make.
 */
export function parseOcChecksum(header: string | undefined): ClaimedChecksum[] | null {
  if (header === undefined) return null;
  const claims = parseChecksumList(header);
  if (typeof claims === 'string') throw new SyncHeaderError(`OC-Checksum: ${claims}`);
  return claims;
}

/** `TYPE:hex` entries, or a message saying what is wrong with them. */
export function parseChecksumList(text: string): ClaimedChecksum[] | string {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  if (entries.length === 0) return 'expected TYPE:hex (SHA1 or MD5)';
  const claims: ClaimedChecksum[] = [];
  for (const entry of entries) {
    const m = /^([A-Za-z0-9-]+):([0-9A-Fa-f]*)$/.exec(entry);
    if (!m) return `not TYPE:hex: ${JSON.stringify(entry.slice(0, 80))}`;
    const algorithm = m[1]!.toLowerCase();
    if (algorithm !== 'sha1' && algorithm !== 'md5') return `unsupported checksum type ${JSON.stringify(m[1]!.slice(0, 20))} (supported: SHA1, MD5)`;
    if (m[2]!.length !== HEX_LENGTH[algorithm]) return `a ${m[1]} checksum has ${HEX_LENGTH[algorithm]} hex digits`;
    claims.push({ algorithm, hex: m[2]!.toLowerCase() });
  }
  return claims;
}

/** The first claim that `actual` contradicts, or null when all hold. */
export function contradictedClaim(claims: readonly ClaimedChecksum[], actual: Partial<Record<ChecksumAlgorithm, string>>): ClaimedChecksum | null {
  return claims.find((c) => actual[c.algorithm] !== c.hex) ?? null;
}

export function formatChecksums(c: FileChecksums): string {
  return `SHA1:${c.sha1} MD5:${c.md5}`;
}

export function checksumsProperty(c: FileChecksums): PropValue {
  return { name: OC_CHECKSUMS, valueXml: `<oc:checksum xmlns:oc="${OC_NS}">${escapeXmlText(formatChecksums(c))}</oc:checksum>` };
}

export function win32LastModifiedProperty(modified: Date): PropValue {
  return { name: WIN32_LAST_MODIFIED, valueXml: httpDate(modified) };
}

/** What a PROPPATCH of `name` means beyond dead properties, or null for a dead property. */
export function settableLive(name: QName): 'mtime' | 'checksums' | null {
  const key = qnameKey(name);
  if (key === qnameKey(WIN32_LAST_MODIFIED) || key === qnameKey(DAV_LASTMODIFIED)) return 'mtime';
  if (key === qnameKey(OC_CHECKSUMS)) return 'checksums';
  return null;
}

/**
 * A modification time set through PROPPATCH: Unix seconds (ownCloud's `lastmodified`) or an
 * RFC 1123 date (`Win32LastModifiedTime`, `Thu, 04 Dec 2025 07:44:00 GMT`); either is taken for
 * either property. Null when it is neither.
 */
export function parseMtimeValue(text: string): Date | null {
  const value = text.trim();
  const seconds = secondsToDate(value);
  if (seconds !== null) return seconds;
  if (!/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|UTC|[+-]\d{4})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** Whether a PROPFIND asks for `oc:checksums` (by name, through allprop's include, or propname). */
export function asksForChecksums(request: PropfindRequest): boolean {
  const key = qnameKey(OC_CHECKSUMS);
  switch (request.kind) {
    case 'propname':
      return true;
    case 'allprop':
      return request.include.some((n) => qnameKey(n) === key);
    case 'prop':
      return request.props.some((n) => qnameKey(n) === key);
  }
}

function secondsToDate(value: string): Date | null {
  // 12 digits: up to the year 33658, well inside what a Date and the filesystems hold.
  if (!/^-?\d{1,12}(\.\d{1,9})?$/.test(value)) return null;
  return new Date(Math.trunc(Number(value) * 1000));
}
