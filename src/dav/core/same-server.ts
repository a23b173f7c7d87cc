import { isIPv4 } from 'node:net';
import { normalizeHost } from './transfer-headers.js';

/** How a request reached us: what a Destination or an If header's resource tag is compared with. */
export interface RequestOrigin {
  /** The request's own `host[:port]` as the client sent it (lower case). */
  readonly host: string;
  readonly scheme: 'http' | 'https';
  /** The client's address is a loopback address (127.0.0.0/8, ::1): it runs on this machine. */
  readonly loopbackClient: boolean;
}

/**
 * Whether `host` (`host[:port]`, lower case, as parseDestination gives it for `scheme`) names the
 * server the request was sent to (RFC 4918 §9.8.5: another server is 502 Bad Gateway).
 *
 * The same host and port, spelled as the request spelled it — or, for a client on this machine
 * (a loopback address) that sent the request to a loopback name, any loopback name with the same
 * port: `localhost`, `127.0.0.1` and `[::1]` all name this machine to that client, so a
 * Destination of `http://localhost:8080/dav/x` on a request to `http://127.0.0.1:8080/dav/` is
 * ours. Nothing else is: names are not resolved (no DNS lookup decides a request), and a client
 * elsewhere means its own machine by `localhost`, not ours.
 */
export function isSameServer(host: string, scheme: 'http' | 'https', request: RequestOrigin): boolean {
  if (host === normalizeHost(request.host, scheme)) return true;
  if (!request.loopbackClient) return false;
  const there = splitHost(host, scheme);
  const here = splitHost(request.host, request.scheme);
  return there !== null && here !== null && isLoopbackName(there.name) && isLoopbackName(here.name) && there.port === here.port;
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || (isIPv4(name) && name.startsWith('127.'));
}

/** `name` (IPv6 literals keep their brackets) and the port, the scheme's default when none is given. */
function splitHost(host: string, scheme: 'http' | 'https'): { name: string; port: number } | null {
  const h = host.trim().toLowerCase();
  const close = h.startsWith('[') ? h.indexOf(']') : -1;
  const colon = h.indexOf(':', close + 1);
  const name = colon === -1 ? h : h.slice(0, colon);
  const port = colon === -1 ? (scheme === 'https' ? 443 : 80) : /^\d{1,5}$/.test(h.slice(colon + 1)) ? Number(h.slice(colon + 1)) : NaN;
  return name === '' || !Number.isInteger(port) ? null : { name, port };
}
