import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_PARAMS } from '../../crypto/password-hasher.js';
import { checkRows, formatOf, hashProblem, ImportFileError, parseImportFile } from './import-rows.js';

const NOW = new Date('2026-01-01T00:00:00Z');

describe('import files', () => {
  it('tells the format from the name unless given', () => {
    expect(formatOf('a.CSV')).toBe('csv');
    expect(formatOf('a.ndjson')).toBe('jsonl');
    expect(formatOf('a.jsonl')).toBe('jsonl');
    expect(formatOf('a.txt')).toBeUndefined();
    expect(formatOf('a.txt', 'csv')).toBe('csv');
    expect(formatOf('a.csv', 'xml')).toBeUndefined();
  });

  it('CSV: a BOM, CRLF or LF, quoted fields with commas, quotes and line breaks; empty cells are absent', () => {
    const rows = parseImportFile('\uFEFFlogin,email,registeredAt,password,passwordHash\r\nann,ann@example.com,2019-01-01T00:00:00Z,"a, ""b""\nc",\n\nbob,bob@example.com,2019-01-01T00:00:00Z,,"$argon2id$v=19$m=1,t=1,p=1$x$y"\n', 'csv');
    expect(rows).toEqual([
      { line: 3, fields: { login: 'ann', email: 'ann@example.com', registeredAt: '2019-01-01T00:00:00Z', password: 'a, "b"\nc' }, problems: [] },
      { line: 5, fields: { login: 'bob', email: 'bob@example.com', registeredAt: '2019-01-01T00:00:00Z', passwordHash: '$argon2id$v=19$m=1,t=1,p=1$x$y' }, problems: [] },
    ]);
  });

  it.each([
    ['', 'the file is empty'],
    ['login,email,password\n', 'the header lacks registeredAt'],
    ['login,email,registeredAt\n', 'neither password nor passwordHash'],
    ['login,email,registeredAt,password,login\n', 'column login appears twice'],
    ['login,email,registeredAt,hash\n', 'unknown column "hash"'],
    ['login,email,registeredAt,password\n"x,y,z,w\n', 'not valid CSV'],
  ])('CSV %j is refused whole: %s', (text, message) => {
    expect(() => parseImportFile(text, 'csv')).toThrow(ImportFileError);
    expect(() => parseImportFile(text, 'csv')).toThrow(message);
  });

  it('JSON lines: each line an object of string fields; others are refused rows, not the file', () => {
    const rows = parseImportFile('{"login":"ann","email":"e","registeredAt":"d","password":"p","passwordHash":null}\r\n\n[1]\n{"login":1}\n{"x":"y"}\nnope\n', 'jsonl');
    expect(rows).toEqual([
      { line: 1, fields: { login: 'ann', email: 'e', registeredAt: 'd', password: 'p' }, problems: [] },
      { line: 3, fields: {}, problems: ['is not a JSON object'] },
      { line: 4, fields: {}, problems: ['login must be a string'] },
      { line: 5, fields: {}, problems: [expect.stringContaining('unknown field "x"')] },
      { line: 6, fields: {}, problems: ['is not valid JSON'] },
    ]);
  });
});

describe('row checks', () => {
  const row = (line: number, fields: Record<string, string>) => ({ line, fields, problems: [] });
  const good = { email: 'a@example.com', registeredAt: '2019-01-01T00:00:00Z', password: 'password-1' };

  it('accepts a valid row as an account to create, with its registration date', async () => {
    const { valid, refused } = await checkRows([row(2, { login: 'ann', ...good })], new Set(), NOW);
    expect(refused).toEqual([]);
    expect(valid).toEqual([{ line: 2, password: 'plain', account: { login: 'ann', email: 'a@example.com', registeredAt: new Date('2019-01-01T00:00:00Z'), password: 'password-1' } }]);
  });

  it('refuses each problem with its reason, every occurrence of a duplicate, and taken logins', async () => {
    const { valid, refused } = await checkRows(
      [
        row(2, { login: 'ann', ...good }),
        row(3, { login: 'ann', ...good }),
        row(4, { login: 'taken', ...good }),
        row(5, { login: 'bob', ...good, registeredAt: '2027-01-01T00:00:00Z' }),
        row(6, { login: 'cid', email: 'c@example.com', password: 'password-1' }),
        row(7, { login: 'dan', ...good, email: 'nope' }),
        row(8, { login: 'eve', ...good, registeredAt: '2019-02-30T00:00:00Z' }),
      ],
      new Set(['taken']),
      NOW,
    );
    expect(valid).toEqual([]);
    expect(refused).toEqual([
      { line: 2, login: 'ann', reasons: ['duplicate login: also on line 3'] },
      { line: 3, login: 'ann', reasons: ['duplicate login: also on line 2'] },
      { line: 4, login: 'taken', reasons: ['login taken: an account with this login exists'] },
      { line: 5, login: 'bob', reasons: ['registeredAt is in the future'] },
      { line: 6, login: 'cid', reasons: ['registeredAt is missing'] },
      { line: 7, login: 'dan', reasons: ['email must be an email'] },
      { line: 8, login: 'eve', reasons: [expect.stringMatching(/^registeredAt/)] },
    ]);
  });
});

describe('imported hashes', () => {
  it('accepts argon2id hashes the verifier accepts, today’s parameters or others', async () => {
    expect(await hashProblem(await hash('pw', ARGON2_PARAMS))).toBeNull();
    expect(await hashProblem(await hash('pw', { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 }))).toBeNull();
  });

  it('accepts bcrypt hashes ($2a$, $2b$, $2y$) up to cost 14', async () => {
    expect(await hashProblem('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toBeNull();
    expect(await hashProblem('$2y$12$abcdefghijklmnopqrstuu5bLJY8cw4AVn2ib3kYyZpbaMmkxySXW')).toBeNull();
    expect(await hashProblem('$2a$14$abcdefghijklmnopqrstuu5bLJY8cw4AVn2ib3kYyZpbaMmkxySXW')).toBeNull();
  });

  it.each([
    ['$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', 'bcrypt cost 15 too costly'],
    ['$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW', 'bcrypt hash is malformed'],
    ['$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', 'bcrypt hash is malformed'],
    ['$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'only argon2id'],
    ['$argon2id$v=16$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'not an argon2id hash'],
    ['$argon2id$v=19$m=1048576,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'too costly'],
    ['$argon2id$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA', 'malformed'],
    ['5f4dcc3b5aa765d61d8327deb882cf99', 'not an argon2id hash'],
    [`$argon2id$v=19$m=4096,t=3,p=1$${'a'.repeat(300)}$aGFzaA`, 'longer than 255'],
  ])('refuses %s: %s', async (h, reason) => {
    expect(await hashProblem(h)).toContain(reason);
  });
});
