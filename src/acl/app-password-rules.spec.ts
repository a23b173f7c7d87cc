import { beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { EVERY_MEMBER } from '../storage/storage.types.js';
import { AclRuleStore } from './acl-rule.store.js';
import { AclService } from './acl.service.js';
import type { AclRule } from './core/acl-resolver.js';

class NoStore extends AclRuleStore {
  async rulesOf(): Promise<AclRule[]> {
    throw new Error('an account has no sublogin rules to load');
  }
  async findSublogin(): Promise<null> {
    return null;
  }
}

const RULES: AclRule[] = [
  { path: '/dav/read/backup', effect: 'allow' },
  { path: '/dav/read/backup/private', effect: 'deny' },
  { path: '/sublogin', effect: 'allow' },
];

function viaAppPassword(rules: AclRule[] | null): Principal {
  return {
    method: 'basic',
    account: { id: 'acc', login: 'alice', role: 'user' },
    sublogin: null,
    application: null,
    scopes: null,
    appPassword: { id: 'ap-1', name: 'nas', rules },
  };
}

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe("AclService: an app password's rules limit the account (contract §4.2)", () => {
  let acl: AclService;
  beforeEach(async () => {
    const events = new CredentialEvents(new MemorySharedState());
    await events.onModuleInit();
    acl = new AclService(new NoStore(), events, { basicRealm: 'Portcullis' } as AppConfig);
  });

  it('allows inside the rules and refuses outside with outside_scope, naming the path, without a promise', () => {
    const p = viaAppPassword(RULES);
    expect(acl.require(p, '/dav/read/backup/a.txt')).toBeUndefined();
    const outside = refusal(() => acl.require(p, '/dav/read/other/a.txt'));
    expect([outside.code, outside.status]).toEqual(['outside_scope', 403]);
    expect(outside.message).toContain('/dav/read/other/a.txt');
    expect(outside.message).toContain('"nas"');
    expect(refusal(() => acl.require(p, '/dav/read/backup/private/x')).code).toBe('outside_scope');
  });

  it('leaves a password without rules (and the account itself) every right', async () => {
    expect(acl.require(viaAppPassword(null), '/dav/delete/anything')).toBeUndefined();
    expect(acl.memberAccess(viaAppPassword(null), (path) => `/dav/read${path}`)).toBe(EVERY_MEMBER);
    expect((await acl.decide(viaAppPassword(null), '/file/delete/x')).basis).toBe('account');
    expect((await acl.decide(viaAppPassword(RULES), '/file/delete/x')).basis).toBe('app_password');
  });

  it('decides every member of a tree against the rules: a denied member refuses the tree with outside_scope', async () => {
    const members = await acl.memberAccess(viaAppPassword(RULES), (path) => `/dav/read${path}`);
    expect(members.allows('/backup/a.txt')).toBe(true);
    expect(members.allows('/backup/private/x')).toBe(false);
    expect(members.allows('/other')).toBe(false);
    const tree = refusal(() => members.requireTree('/backup'));
    expect(tree.code).toBe('outside_scope');
    expect(tree.message).toContain('/dav/read/backup/private');
    expect(() => members.requireTree('/backup/public')).not.toThrow();
  });

  it('counts the rules as the holder\'s rights when it grants rules (sublogin management)', async () => {
    const p = viaAppPassword(RULES);
    expect(await acl.coversRules(p, [{ path: '/dav/read/backup/sub', effect: 'allow' }])).toEqual({ ok: true });
    expect((await acl.coversRules(p, [{ path: '/dav/', effect: 'allow' }])).ok).toBe(false);
    expect((await acl.coversRules(p, [{ path: '/dav/read/backup', effect: 'allow' }])).ok).toBe(false); // would reach /private
  });

  it('denies everything for a stored rule that no longer parses, rather than skipping it', () => {
    const p = viaAppPassword([{ path: '/nosuchclass/x', effect: 'allow' }]);
    expect(refusal(() => acl.require(p, '/dav/read/x')).code).toBe('outside_scope');
  });
});
