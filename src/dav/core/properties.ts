/**
 * Which properties a PROPFIND answers for one resource (RFC 4918 §9.1, §15), as pure
 * functions over the resource's metadata, its dead properties and the locks that cover it.
 */
import type { ActiveLock } from './locks.js';
import { liveProps, type PropStat, type PropValue } from './multistatus.js';
import { DAV_NS, type QName, qnameKey } from './xml-common.js';
import type { PropfindRequest } from './xml-request.js';

export interface ResourceFacts {
  readonly collection: boolean;
  readonly size: number;
  readonly modified: Date;
  readonly etag: string;
  readonly contentType: string;
}

export interface DeadPropValue {
  readonly name: QName;
  readonly valueXml: string;
  readonly lang: string | null;
}

/**
 * Live properties computed by the server. PROPPATCH may not change them (403
 * `cannot-modify-protected-property`); every other name, `DAV:displayname` included, is dead.
 */
export const PROTECTED_PROPS: ReadonlySet<string> = new Set([
  'creationdate',
  'getcontentlength',
  'getcontenttype',
  'getetag',
  'getlastmodified',
  'lockdiscovery',
  'resourcetype',
  'supportedlock',
  'quota-available-bytes',
  'quota-used-bytes',
]);

export const isProtected = (name: QName): boolean => name.ns === DAV_NS && PROTECTED_PROPS.has(name.local);

/** The account's quota as RFC 4331 shows it on every collection; `availableBytes` null: not known. */
export interface QuotaFacts {
  readonly usedBytes: number;
  readonly availableBytes: number | null;
}

const QUOTA_PROPS = ['quota-available-bytes', 'quota-used-bytes'] as const;

/** Whether the request names an RFC 4331 quota property (in `prop`, or allprop's `include`): only then are they computed. */
export function asksForQuota(request: PropfindRequest): boolean {
  const names = request.kind === 'prop' ? request.props : request.kind === 'allprop' ? request.include : [];
  return names.some((n) => n.ns === DAV_NS && (QUOTA_PROPS as readonly string[]).includes(n.local));
}

/**
 * RFC 4331 `quota-available-bytes` and `quota-used-bytes` of a collection: live, protected, and
 * not part of allprop (§3), so they go with a PROPFIND's `onRequest` properties. Without `facts`
 * (nobody asked for them) only their names, for propname. An unknown available figure is left
 * out (404 when asked for), as §3 allows.
 */
export function quotaProperties(facts: QuotaFacts | null): PropValue[] {
  if (facts === null) return QUOTA_PROPS.map((local) => ({ name: { ns: DAV_NS, local } }));
  const props: PropValue[] = [];
  if (facts.availableBytes !== null) props.push({ name: { ns: DAV_NS, local: 'quota-available-bytes' }, valueXml: String(Math.max(0, Math.floor(facts.availableBytes))) });
  props.push({ name: { ns: DAV_NS, local: 'quota-used-bytes' }, valueXml: String(Math.max(0, Math.floor(facts.usedBytes))) });
  return props;
}

/**
 * The live properties of a resource, in a stable order. Collections have no content length,
 * type or entity tag (as Apache mod_dav_fs), and no creation time is kept apart from the
 * modification time, which `creationdate` therefore shows.
 */
export function liveProperties(facts: ResourceFacts, locks: readonly ActiveLock[]): PropValue[] {
  const props: PropValue[] = [liveProps.creationdate(facts.modified)];
  if (!facts.collection) {
    props.push(liveProps.getcontentlength(facts.size), liveProps.getcontenttype(facts.contentType), liveProps.getetag(facts.etag));
  }
  props.push(
    liveProps.getlastmodified(facts.modified),
    liveProps.resourcetype(facts.collection),
    liveProps.supportedlock(),
    liveProps.lockdiscovery(locks),
  );
  return props;
}

/**
 * The propstats of one `<D:response>` for the request kind. `onRequest` are live properties that
 * allprop leaves out (RFC 4918 §9.1 lets a server do so): sync clients' `oc:checksums` and
 * `Win32LastModifiedTime`, shown when asked for by name or through allprop's `include`.
 */
export function propstatsFor(request: PropfindRequest, live: readonly PropValue[], dead: readonly DeadPropValue[], onRequest: readonly PropValue[] = []): PropStat[] {
  // A dead property never shadows a live one (PROPPATCH refuses or interprets their names).
  const liveNames = dead.length === 0 ? null : new Set([...live, ...onRequest].map((p) => qnameKey(p.name)));
  const deadValues: PropValue[] = dead.filter((d) => !liveNames?.has(qnameKey(d.name))).map((d) => ({ name: d.name, valueXml: d.valueXml, lang: d.lang }));
  switch (request.kind) {
    case 'allprop': {
      const included = new Set(request.include.map(qnameKey));
      return [{ status: 200, props: [...live, ...onRequest.filter((p) => included.has(qnameKey(p.name))), ...deadValues] }];
    }
    case 'propname':
      return [{ status: 200, props: [...live, ...onRequest, ...deadValues].map((p) => ({ name: p.name })) }];
    case 'prop': {
      const known = new Map<string, PropValue>();
      for (const p of [...live, ...onRequest]) known.set(qnameKey(p.name), p);
      // Dead properties never shadow live ones (PROPPATCH refuses protected names).
      for (const p of deadValues) if (!known.has(qnameKey(p.name))) known.set(qnameKey(p.name), p);
      const found: PropValue[] = [];
      const missing: PropValue[] = [];
      for (const name of request.props) {
        const p = known.get(qnameKey(name));
        if (p) found.push(p);
        else missing.push({ name });
      }
      return [
        { status: 200, props: found },
        { status: 404, props: missing },
      ];
    }
  }
}
