import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from './attachment.js';

describe('attachmentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name, and cannot break the header', () => {
    expect(attachmentDisposition('a.txt')).toBe(`attachment; filename="a.txt"; filename*=UTF-8''a.txt`);
    expect(attachmentDisposition('日本 "x".txt')).toBe(`attachment; filename="__ _x_.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22x%22.txt`);
    expect(attachmentDisposition("it's (1)*.txt")).toBe(`attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`);
    expect(attachmentDisposition('')).toBe(`attachment; filename="download"; filename*=UTF-8''`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => s.isWellFormed()), (name) => {
        expect(attachmentDisposition(name)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});
