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
]);

export const isProtected = (name: QName): boolean => name.ns === DAV_NS && PROTECTED_PROPS.has(name.local);

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

/** The propstats of one `<D:response>` for the request kind. */
export function propstatsFor(request: PropfindRequest, live: readonly PropValue[], dead: readonly DeadPropValue[]): PropStat[] {
  const deadValues: PropValue[] = dead.map((d) => ({ name: d.name, valueXml: d.valueXml, lang: d.lang }));
  switch (request.kind) {
    case 'allprop':
      // `include` asks for live properties allprop leaves out; we have none beyond these.
      return [{ status: 200, props: [...live, ...deadValues] }];
    case 'propname':
      return [{ status: 200, props: [...live, ...deadValues].map((p) => ({ name: p.name })) }];
    case 'prop': {
      const known = new Map<string, PropValue>();
      for (const p of live) known.set(qnameKey(p.name), p);
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
