import { describe, expect, it } from 'vitest';
import { SCOPE_ACL_PATHS } from '../../acl/scope-rules.js';
import { API_SCOPES, describeScope, splitScopes } from './scopes.js';

describe('API scopes', () => {
  it('each has plain words and ACL paths', () => {
    for (const scope of API_SCOPES) {
      expect(describeScope(scope)).not.toBe(scope);
      expect(SCOPE_ACL_PATHS[scope]?.length).toBeGreaterThan(0);
    }
  });

  it('splits and orders scope strings', () => {
    expect(splitScopes('dav  file:read zzz file:read openid')).toEqual(['file:read', 'dav', 'openid', 'zzz']);
    expect(splitScopes(undefined)).toEqual([]);
  });

  it('shows an unknown scope as itself', () => {
    expect(describeScope('hasOwnProperty')).toBe('hasOwnProperty');
  });
});
