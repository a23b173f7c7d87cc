import { describe, expect, it } from 'vitest';
import { insufficientScopeError, scopesCovering } from './scope-rules.js';

describe('scope rules (contract §4.4)', () => {
  it.each([
    ['/file/list/docs', ['file:read']],
    ['/file/download/a.txt', ['file:read']],
    ['/file/upload/a.txt', ['file:write']],
    ['/file/delete/tmp', ['file:delete']],
    ['/stat/traffic', ['stat:read']],
    ['/sublogin/create', ['sublogin']],
    ['/dav/write/x', ['dav']],
    ['/backup/read/x', []],
  ])('%s is covered by %j', (path, scopes) => {
    expect(scopesCovering(path)).toEqual(scopes);
  });

  it('answers a scope miss the RFC 6750 way', () => {
    const err = insufficientScopeError('/file/delete/a.txt', 'Portcullis');
    expect(err.status).toBe(403);
    expect(err.code).toBe('insufficient_scope');
    expect(err.headers['WWW-Authenticate']).toBe('Bearer realm="Portcullis", error="insufficient_scope", scope="file:delete"');
    expect(insufficientScopeError('/backup/read/x', 'R').headers['WWW-Authenticate']).toBe('Bearer realm="R", error="insufficient_scope"');
  });
});
