import { describe, expect, it } from 'vitest';
import { parseDestination } from './transfer-headers.js';
import { isSameServer, type RequestOrigin } from './same-server.js';

/** Whether the Destination `destination` names the server of a request to `requestHost`. */
function same(destination: string, requestHost: string, loopbackClient: boolean, scheme: 'http' | 'https' = 'http'): boolean {
  const dest = parseDestination(destination);
  const origin: RequestOrigin = { host: requestHost, scheme, loopbackClient };
  return isSameServer(dest.host!, dest.scheme!, origin);
}

describe('isSameServer', () => {
  it.each<[string, string, boolean]>([
    ['http://example.com/dav/x', 'example.com', false],
    ['http://EXAMPLE.com:80/dav/x', 'example.com', false],
    ['http://example.com:8080/dav/x', 'example.com:8080', false],
    ['http://user:pw@127.0.0.1:8080/dav/x', '127.0.0.1:8080', false],
    // A client on this machine: every loopback name is this machine, at the same port.
    ['http://localhost:8080/dav/x', '127.0.0.1:8080', true],
    ['http://127.0.0.1:8080/dav/x', 'localhost:8080', true],
    ['http://[::1]:8080/dav/x', 'localhost:8080', true],
    ['http://127.0.0.2:8080/dav/x', '[::1]:8080', true],
    ['http://LOCALHOST/dav/x', '127.0.0.1:80', true],
  ])('%s on a request to %s is ours', (destination, host, loopbackClient) => {
    expect(same(destination, host, loopbackClient)).toBe(true);
  });

  it.each<[string, string, boolean]>([
    ['http://other.example/dav/x', 'example.com', true],
    ['http://example.com:8081/dav/x', 'example.com:8080', false],
    // A client elsewhere means its own machine by localhost.
    ['http://localhost:8080/dav/x', '127.0.0.1:8080', false],
    // Another port of this machine is another server.
    ['http://localhost:8081/dav/x', '127.0.0.1:8080', true],
    ['http://localhost/dav/x', '127.0.0.1:8080', true],
    // Only loopback names: a public name is not resolved to decide.
    ['http://localhost:8080/dav/x', 'myhost.example:8080', true],
    ['http://myhost.example:8080/dav/x', 'localhost:8080', true],
    ['http://128.0.0.1:8080/dav/x', '127.0.0.1:8080', true],
    ['http://localhost.example:8080/dav/x', '127.0.0.1:8080', true],
  ])('%s on a request to %s is another server', (destination, host, loopbackClient) => {
    expect(same(destination, host, loopbackClient)).toBe(false);
  });

  it('compares ports by each side’s scheme when only the name differs', () => {
    expect(same('https://localhost/dav/x', '127.0.0.1:443', true, 'https')).toBe(true);
    expect(same('https://localhost/dav/x', '127.0.0.1', true, 'http')).toBe(false); // 443 against 80
    expect(same('http://localhost/dav/x', '127.0.0.1', true, 'http')).toBe(true);
  });
});
