import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './csv.js';

describe('CSV cells', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\r=1', `"'\r=1"`],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ["'already", "'already"],
  ])('%j → %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('quotes separators, quotes and line ends, after neutralising a formula', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
  });

  it('writes null as empty, objects as JSON, numbers as text', () => {
    expect(csvLine([null, undefined, 3, { a: 1 }])).toBe(',,3,"{""a"":1}"\r\n');
  });

  it('round-trips through a CSV parser: every value comes back, formulas as text', () => {
    const values = ['=cmd|\' /C calc\'!A0', 'x,y', 'say "hi"', 'two\nlines', '-', '@', '', 'ok'];
    const [row] = parse(csvLine(values)) as string[][];
    expect(row).toEqual(values.map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
  });
});
