import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LabelCounts } from './label-counts.js';

describe('LabelCounts', () => {
  it('adds up counts per label combination', () => {
    const c = new LabelCounts(['method', 'route', 'status']);
    c.add(['GET', '/a', '200']);
    c.add(['GET', '/a', '200']);
    c.add(['GET', '/a', '404']);
    c.add(['POST', '/a', '200'], 5);
    expect(c.rows()).toEqual([
      { labels: { method: 'GET', route: '/a', status: '200' }, value: 2 },
      { labels: { method: 'GET', route: '/a', status: '404' }, value: 1 },
      { labels: { method: 'POST', route: '/a', status: '200' }, value: 5 },
    ]);
  });

  it('works with a single label', () => {
    const c = new LabelCounts(['area']);
    c.add(['dav'], 10);
    c.add(['dav'], 5);
    expect(c.rows()).toEqual([{ labels: { area: 'dav' }, value: 15 }]);
  });

  it('totals what was added, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y', 'z'), fc.nat(100))), (adds) => {
        const c = new LabelCounts(['p', 'q']);
        for (const [p, q, n] of adds) c.add([p, q], n);
        const rows = c.rows();
        expect(rows.reduce((s, r) => s + r.value, 0)).toBe(adds.reduce((s, [, , n]) => s + n, 0));
        expect(new Set(rows.map((r) => `${r.labels.p}${r.labels.q}`)).size).toBe(rows.length);
      }),
    );
  });
});
