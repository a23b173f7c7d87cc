import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectYoungGarbage } from './young-gc.js';

describe('collectYoungGarbage', () => {
  it('runs a young-generation collection without --expose-gc on the command line', async () => {
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) kinds.push((e as PerformanceEntry & { detail: { kind: number } }).detail.kind);
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      collectYoungGarbage();
      collectYoungGarbage(); // a second call reuses the function
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      observer.disconnect();
    }
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined'); // nothing leaked into this context
  });
});
