import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRuleLines, parseRuleLines } from './rule-lines.js';

describe('rule lines', () => {
  it('reads one rule per line, ignoring blank lines and comments, and numbers them', () => {
    const parsed = parseRuleLines('# backups\nallow /file/\r\n\n  DENY   /file/delete  \ndeny /file/delete/tmp\n');
    expect(parsed.rules).toEqual([
      { effect: 'allow', path: '/file/' },
      { effect: 'deny', path: '/file/delete' },
      { effect: 'deny', path: '/file/delete/tmp' },
    ]);
    expect(parsed.lines).toEqual([2, 4, 5]);
    expect(parsed.problems).toEqual([]);
  });

  it.each([
    ['no effect', '/file/'],
    ['unknown effect', 'permit /file/'],
    ['path with spaces', 'allow /file/my docs'],
    ['effect only', 'allow'],
  ])('reports a line that is not "effect path" (%s) with its number', (_label, line) => {
    const parsed = parseRuleLines(`allow /stat/\n${line}`);
    expect(parsed.rules).toHaveLength(1);
    expect(parsed.problems).toEqual([{ line: 2, text: line, reason: expect.stringContaining('allow PATH') }]);
  });

  it('reads back what it formats', () => {
    const rule = fc.record({ effect: fc.constantFrom('allow' as const, 'deny' as const), path: fc.stringMatching(/^\/[a-z]+\/[a-z/]*$/) });
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 20 }), (rules) => {
        expect(parseRuleLines(formatRuleLines(rules)).rules).toEqual(rules);
      }),
    );
  });
});
