import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import type { StorageService } from '../storage/storage.service.js';
import type { MemberAccess, StorageEntry } from '../storage/storage.types.js';
import type { DavLock } from './core/locks.js';
import type { DavAccess } from './dav-access.js';
import type { DavContext } from './dav-context.js';
import type { DavLockStore } from './dav-lock.store.js';
import { DAV_MOUNT } from './dav-mount.js';
import { type DavPlan, DavPreparer, type DavResource } from './dav-prepare.js';

const FILE: StorageEntry = { name: 'a.txt', path: '/a.txt', type: 'file', size: 3, modified: new Date('2025-01-01T00:00:00Z'), etag: '"e1"' };
const LOCK: DavLock = { token: 'urn:uuid:1', root: '/a.txt', depth: 0, scope: 'exclusive', owner: null, principal: 'someone-else', expiresAt: Date.now() + 60_000 };

/** A preparer over fakes that record each step they are asked for, in order. */
function setup(opts: { deny?: string; exists?: boolean; locks?: DavLock[] } = {}) {
  const steps: string[] = [];
  const step = (name: string) => {
    steps.push(name);
    if (opts.deny === name) throw new DomainError('acl_denied', `denied: ${name}`);
  };
  const member = (action: string): MemberAccess => ({
    require: () => undefined,
    requireTree: (path) => step(`tree ${action} ${path}`),
    allows: () => true,
    uniformBeneath: () => true,
  });
  const access = {
    require: async (_p: Principal, _m: unknown, action: string, path: string) => step(`access ${action} ${path}`),
    members: (_p: Principal, _m: unknown, action: string) => {
      step(`members ${action}`);
      return member(action);
    },
  } as unknown as DavAccess;
  const area = {
    stat: async (path: string) => {
      steps.push(`stat ${path}`);
      if (opts.exists === false) throw new DomainError('not_found', 'no such file or folder');
      return FILE;
    },
    tryStat: async (path: string) => {
      steps.push(`stat ${path}`);
      return opts.exists === false ? null : FILE;
    },
  };
  const storage = { area: () => area } as unknown as StorageService;
  const locks = async () => {
    steps.push('locks');
    return opts.locks ?? [];
  };
  const lockStore = { live: locks, shown: locks } as unknown as DavLockStore;
  return { steps, preparer: new DavPreparer(storage, access, lockStore) };
}

/** A request on /a.txt whose body records when it is first read. */
function request(steps: string[], headers: Record<string, string> = {}, body = '<x/>'): DavContext {
  let read = false;
  return {
    mount: DAV_MOUNT,
    method: 'PROPPATCH',
    path: '/a.txt',
    principal: { account: { id: 'acct', login: 'owner' }, sublogin: null, scopes: null } as unknown as Principal,
    headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
    body: new Readable({
      read() {
        if (!read) steps.push('body');
        read = true;
        this.push(Buffer.from(body));
        this.push(null);
      },
    }),
    url: 'http://localhost/dav/a.txt',
    host: 'localhost',
    loopbackClient: true,
    signal: new AbortController().signal,
  };
}

/** Every step a plan can have, each recorded when it runs. */
function fullPlan(steps: string[], fail?: string): DavPlan<string, DavResource> {
  const record = (name: string) => {
    steps.push(name);
    if (fail === name) throw new DomainError('conflict', name);
  };
  return {
    action: 'write',
    destination: '/b.txt',
    members: { source: 'delete', target: 'write', wholeTree: true },
    refuse: () => record('refuse'),
    body: {
      xml: (bytes) => {
        record('parse');
        return bytes.toString();
      },
    },
    resource: 'existing',
    check: () => record('check'),
    conditions: true,
    targets: () => {
      record('targets');
      return ['/a.txt'];
    },
  };
}

const ORDER = ['access write /a.txt', 'access write /b.txt', 'members delete', 'members write', 'tree delete /a.txt', 'refuse', 'body', 'parse', 'locks', 'stat /a.txt', 'check', 'targets'];

async function failure(run: Promise<unknown>): Promise<string> {
  const err = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err.code;
}

describe('DavPreparer.prepare: one order of checks for every WebDAV method', () => {
  it('decides access (the request path, the Destination, every member) before it reads the body, then the If header, the resource, the conditions, the locks', async () => {
    const { steps, preparer } = setup();
    const prepared = await preparer.prepare(request(steps), fullPlan(steps));
    expect(steps).toEqual(ORDER);
    expect(prepared).toMatchObject({ body: '<x/>', entry: FILE, locks: [] });
  });

  it.each([
    ['access write /a.txt', 'acl_denied'],
    ['access write /b.txt', 'acl_denied'],
    ['tree delete /a.txt', 'acl_denied'],
    ['refuse', 'conflict'],
    ['parse', 'conflict'],
    ['check', 'conflict'],
    ['targets', 'conflict'],
  ])('stops at a refusal by %s: nothing after it runs', async (at, code) => {
    const { steps, preparer } = setup({ deny: at.startsWith('access') || at.startsWith('tree') ? at : undefined });
    expect(await failure(preparer.prepare(request(steps), fullPlan(steps, at)))).toBe(code);
    expect(steps).toEqual(ORDER.slice(0, ORDER.indexOf(at) + 1));
  });

  it('never reads the body of a request it refuses access to', async () => {
    const { steps, preparer } = setup({ deny: 'access write /a.txt' });
    const ctx = request(steps);
    await failure(preparer.prepare(ctx, fullPlan(steps)));
    expect(ctx.body!.readableDidRead).toBe(false);
  });

  it('evaluates the If header before the resource is required: 412, not 404', async () => {
    const { steps, preparer } = setup({ exists: false });
    const ctx = request(steps, { if: '(<urn:uuid:not-held>)' });
    expect(await failure(preparer.prepare(ctx, fullPlan(steps)))).toBe('precondition_failed');
    // The one stat is the If header's own look at the resource (its entity tag).
    expect(steps.slice(ORDER.indexOf('locks'))).toEqual(['locks', 'stat /a.txt']);
  });

  it('answers 404 for a missing resource before the method looks at it', async () => {
    const { steps, preparer } = setup({ exists: false });
    expect(await failure(preparer.prepare(request(steps), fullPlan(steps)))).toBe('not_found');
    expect(steps.at(-1)).toBe('stat /a.txt');
  });

  it('evaluates If-Match before the locks: 412, not 423', async () => {
    const { steps, preparer } = setup({ locks: [LOCK] });
    expect(await failure(preparer.prepare(request(steps, { 'if-match': '"other"' }), fullPlan(steps)))).toBe('precondition_failed');
    expect(steps).not.toContain('targets');
    // Without the condition, the lock in the way is 423.
    const again = setup({ locks: [LOCK] });
    expect(await failure(again.preparer.prepare(request(again.steps), fullPlan(again.steps)))).toBe('locked');
  });

  it('loads the locks only when the plan needs them or an If header names them', async () => {
    const { steps, preparer } = setup();
    await preparer.prepare(request(steps), { action: 'read', resource: 'any' });
    expect(steps).toEqual(['access read /a.txt', 'stat /a.txt']);
    steps.length = 0;
    await preparer.prepare(request(steps, { if: '(["e1"])' }), { action: 'read' });
    expect(steps).toEqual(['access read /a.txt', 'locks', 'stat /a.txt']);
  });

  it('refuses a body where the method takes none (415), and an announced upload over the limit (413), after access', async () => {
    const { steps, preparer } = setup();
    expect(await failure(preparer.prepare(request(steps), { action: 'write', body: { none: true } }))).toBe('unsupported_media_type');
    expect(steps).toEqual(['access write /a.txt', 'body']);
    steps.length = 0;
    const upload = request(steps, { 'content-length': '11' });
    expect(await failure(preparer.prepare(upload, { action: 'write', body: { upload: { maxBytes: 10 } } }))).toBe('payload_too_large');
    expect(steps).toEqual(['access write /a.txt']);
  });
});
