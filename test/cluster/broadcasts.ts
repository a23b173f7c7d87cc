import { ApiKeyCache } from '../../src/api-keys/api-key-cache.js';
import { OAuthRevocations, type Revocation } from '../../src/oauth/oauth-revocations.js';
import { CredentialEvents } from '../../src/shared-state/credential-events.js';
import type { TestApp } from '../support/test-app.js';

/**
 * "Revocation is immediate" across instances (contract §4.1), observed where it happens. A change on
 * instance A reaches instance B as a broadcast (Redis pub/sub); B drops what it cached, then its
 * next request goes to the database. The cluster's instances run in the test's process, so the
 * test listens on B's own broadcast receivers: the promises below settle when B has *heard and
 * applied* the change (the caches registered their listeners at start, before these, so they ran
 * first). A cluster test then asserts that B refuses on the very first request after that.
 *
 * No wall-clock bound: a client-side stopwatch around HTTP round trips and an argon2id measures
 * the test machine's load, not the service. A broadcast that never arrives fails the test (its
 * timeout); how stale a cache may get when broadcasts are slow or lost is bounded by design
 * instead (TaggedCache serves nothing while no heartbeat came back for a second), and tested
 * with Redis stopped in faults.cluster-spec.ts.
 *
 * Call these *before* making the change, so that an early delivery is not missed.
 */
export function credentialChangeHeard(node: TestApp, login: string): Promise<void> {
  return heard<string>((listener) => node.app.get(CredentialEvents).onChange(listener), (changed) => changed === login);
}

/** An OAuth revocation heard by `node` that concerns `token` (the token itself, or its grant). */
export function revocationHeard(node: TestApp, token: { idHash: string; grantId: string }): Promise<void> {
  return heard<Revocation>(
    (listener) => node.app.get(OAuthRevocations).onRevoked(listener),
    (r) => (r.kind === 'grant' ? r.grantId === token.grantId : r.idHash === token.idHash),
  );
}

/** A change of an application (status, keys, blocks) heard by `node`'s API-key cache. */
export function applicationChangeHeard(node: TestApp, applicationId: string): Promise<void> {
  return heard<string>((listener) => node.app.get(ApiKeyCache).onApplicationChange(listener), (id) => id === applicationId);
}

function heard<T>(subscribe: (listener: (message: T) => void) => void, matches: (message: T) => boolean): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    // The receivers have no unsubscribe; a settled listener stays, inert, until the app closes.
    subscribe((message) => {
      if (settled || !matches(message)) return;
      settled = true;
      resolve();
    });
  });
}
