/**
 * Signed links (contract §4.8): the token's form, the canonical string its MAC covers, and the
 * parsing of a presented token. Pure: the key is the caller's (LinkSigner, src/links/link-signer.ts).
 *
 * token = `<kid>.<linkId>.<expiry>.<mac>`
 *   kid     the signing key's id (`[a-z0-9]{1,8}`), so keys can rotate;
 *   linkId  the link's row (a UUID);
 *   expiry  Unix seconds (1–12 digits), the instant from which the link is refused;
 *   mac     base64url (no padding) HMAC-SHA256 over `canonicalLinkString()`, 43 characters.
 */

export type LinkMethod = 'GET' | 'PUT';
/** `file`: exactly one file (GET, or PUT to that path). `prefix`: PUT of a file anywhere below a folder. */
export type LinkTarget = 'file' | 'prefix';

/** Everything a link's MAC covers: what it allows, until when, and each constraint. */
export interface SignedFields {
  id: string;
  method: LinkMethod;
  target: LinkTarget;
  /** Canonical storage path (`/a/b.txt`; a prefix has no trailing `/`, the root is ``). */
  path: string;
  /** Unix seconds. */
  expiry: number;
  /** Normalised CIDR ranges in the order stored; null: any address. */
  allowedRanges: readonly string[] | null;
  maxUses: number | null;
  maxUploadBytes: number | null;
}

export interface ParsedToken {
  kid: string;
  id: string;
  expiry: number;
  /** The MAC as sent (base64url). */
  mac: string;
}

const TOKEN = /^([a-z0-9]{1,8})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;

/** The parts of a presented token, or null when it is not of that form (truncated, padded, altered). */
export function parseLinkToken(token: unknown): ParsedToken | null {
  if (typeof token !== 'string' || token.length > 128) return null;
  const m = TOKEN.exec(token);
  if (!m) return null;
  return { kid: m[1]!, id: m[2]!, expiry: Number(m[3]), mac: m[4]! };
}

export function formatLinkToken(kid: string, id: string, expiry: number, mac: string): string {
  return `${kid}.${id}.${expiry}.${mac}`;
}

/**
 * One line per field, versioned, `-` for an absent constraint. No field can hold a newline
 * (canonical paths refuse control characters; the rest are numbers and ranges), so no two
 * different links share a string. The key id is not in it: it selects the key.
 */
export function canonicalLinkString(f: SignedFields): string {
  return [
    'portcullis-signed-link-v1',
    f.id,
    f.method,
    f.target,
    f.path,
    String(f.expiry),
    f.allowedRanges?.length ? f.allowedRanges.join(',') : '-',
    f.maxUses === null ? '-' : String(f.maxUses),
    f.maxUploadBytes === null ? '-' : String(f.maxUploadBytes),
  ].join('\n');
}

/**
 * Whether `target` (a canonical storage path) is what a link covers: the file itself, or a file
 * strictly below the prefix.
 */
export function linkCovers(link: Pick<SignedFields, 'target' | 'path'>, target: string): boolean {
  if (link.target === 'file') return target === link.path;
  return target.startsWith(`${link.path}/`) && target.length > link.path.length + 1;
}
