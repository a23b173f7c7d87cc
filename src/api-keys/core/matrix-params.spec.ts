import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeRequestPath } from '../../acl/core/acl-path.js';
import { matrixValues, stripMatrixParams } from './matrix-params.js';

const KEY = '0123456789ABCDEF0123456789ABCDEF';

describe('stripMatrixParams', () => {
  it.each<[string, string, string, Array<[string, string]>]>([
    ['no matrix (fast path)', '/api/file/list?path=/', '/api/file/list?path=/', []],
    ['first segment', `/api;api_key=${KEY}/file/list`, '/api/file/list', [['api_key', KEY]]],
    ['last segment', `/api/file/list;api_key=${KEY}`, '/api/file/list', [['api_key', KEY]]],
    ['last segment with a query', `/api/file/list;api_key=${KEY}?path=/a;b&x=1`, '/api/file/list?path=/a;b&x=1', [['api_key', KEY]]],
    ['a `;` only in the query is not matrix', '/api/whoami?x=a;b', '/api/whoami?x=a;b', []],
    ['several on one segment', '/api/file;a=1;b=2/list', '/api/file/list', [['a', '1'], ['b', '2']]],
    ['on several segments', '/api;a=1/file;a=2/list', '/api/file/list', [['a', '1'], ['a', '2']]],
    ['bare name', '/api/whoami;flag', '/api/whoami', [['flag', '']]],
    ['empty pieces skipped', '/api/whoami;;a=1;', '/api/whoami', [['a', '1']]],
    ['value with `=`', '/api/whoami;a=b=c', '/api/whoami', [['a', 'b=c']]],
    ['percent-decoded name and value', '/api/whoami;api%5Fkey=%41B', '/api/whoami', [['api_key', 'AB']]],
    ['a bad escape stays as sent', '/api/whoami;api_key=%zz', '/api/whoami', [['api_key', '%zz']]],
    ['encoded `;` is data, not a separator', '/api/file%3Bx=1/list', '/api/file%3Bx=1/list', []],
    ['matrix-only segment leaves it empty', '/api/;x=1/whoami', '/api//whoami', [['x', '1']]],
    ['root', '/;x=1', '/', [['x', '1']]],
  ])('%s', (_label, target, url, params) => {
    const out = stripMatrixParams(target);
    expect(out.url).toBe(url);
    expect(out.params.map((p) => [p.name, p.value])).toEqual(params);
  });

  it('collects the values of one name in order', () => {
    const { params } = stripMatrixParams('/api;api_key=A/file;x=1/list;api_key=B');
    expect(matrixValues(params, 'api_key')).toEqual(['A', 'B']);
    expect(matrixValues(params, 'otp')).toEqual([]);
  });

  it('leaves no `;` in the path, never touches the query, and is idempotent', () => {
    const seg = fc.stringMatching(/^[a-zA-Z0-9_.;=%-]{0,12}$/);
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 6 }), fc.option(fc.stringMatching(/^[a-z0-9=&;/]{0,12}$/)), (segments, query) => {
        const target = `/${segments.join('/')}${query === null ? '' : `?${query}`}`;
        const { url } = stripMatrixParams(target);
        const [path, ...rest] = url.split('?');
        expect(path).not.toContain(';');
        expect(rest.join('?')).toBe(query ?? '');
        expect(stripMatrixParams(url).url).toBe(url);
      }),
    );
  });

  it('routes the same path the ACL canonicaliser decides on', () => {
    // The router must never see a different path than the ACL does: both cut each segment at its first `;`.
    for (const target of ['/file;api_key=X/delete/tmp', '/file/list;api_key=0123/tmp', '/file/delete/a;b=c;d/x']) {
      expect(canonicalizeRequestPath(stripMatrixParams(target).url)).toBe(canonicalizeRequestPath(target));
    }
  });
});
