import { verify } from '@node-rs/argon2';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parse } from 'csv-parse/sync';
import type { ImportedAccount } from '../../accounts/accounts.service.js';
import { BCRYPT_HASH } from '../../crypto/password-hasher.js';
import { CreateAccountDto } from '../../admin/dto/account.dto.js';

/**
 * Legacy accounts to import (`portcullis accounts import`): a CSV file with a header line, or
 * JSON lines, each with `login`, `email`, `registeredAt` and exactly one of `password` (plain,
 * hashed on import with the service's argon2id parameters) or `passwordHash` (an argon2id PHC
 * string, stored as it is). Each row is checked by the same rules as `POST /api/admin/accounts`
 * (CreateAccountDto), plus what an import needs: a registration date, not in the future; a hash
 * the service's verifier accepts; no login twice in the file. bcrypt hashes are refused (see
 * `hashProblem`).
 */
export type ImportFormat = 'csv' | 'jsonl';

export const IMPORT_FIELDS = ['login', 'email', 'registeredAt', 'password', 'passwordHash'] as const;
type Field = (typeof IMPORT_FIELDS)[number];
const REQUIRED: readonly Field[] = ['login', 'email', 'registeredAt'];

/** The file as a whole cannot be read as an import (syntax, header): nothing is imported. */
export class ImportFileError extends Error {}

/** One row as read: its fields, or why it could not even be read as a row. */
export interface RawRow {
  /** Line of the file where the row ends (1-based). */
  line: number;
  fields: Partial<Record<Field, string>>;
  problems: string[];
}

export function formatOf(file: string, explicit?: string): ImportFormat | undefined {
  if (explicit === 'csv' || explicit === 'jsonl') return explicit;
  if (explicit !== undefined) return undefined;
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return undefined;
}

export function parseImportFile(text: string, format: ImportFormat): RawRow[] {
  return format === 'csv' ? parseCsv(text) : parseJsonLines(text);
}

function parseCsv(text: string): RawRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, record_delimiter: ['\r\n', '\n'] }) as unknown as typeof records;
  } catch (err) {
    throw new ImportFileError(`not valid CSV: ${(err as Error).message}`);
  }
  const [head, ...rows] = records;
  if (!head) throw new ImportFileError('the file is empty (a CSV import starts with a header line naming its columns)');
  const header = head.record.map((h) => h.trim());
  const unknown = header.filter((h) => !(IMPORT_FIELDS as readonly string[]).includes(h));
  if (unknown.length) throw new ImportFileError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')} in the header (columns: ${IMPORT_FIELDS.join(', ')})`);
  const twice = header.filter((h, i) => header.indexOf(h) !== i);
  if (twice.length) throw new ImportFileError(`column ${twice[0]} appears twice in the header`);
  const missing = REQUIRED.filter((f) => !header.includes(f));
  if (missing.length) throw new ImportFileError(`the header lacks ${missing.join(', ')}`);
  if (!header.includes('password') && !header.includes('passwordHash')) throw new ImportFileError('the header has neither password nor passwordHash');
  return rows.map(({ record, info }) => {
    if (record.length !== header.length) {
      const hint = record.some((f) => f.startsWith('$argon2')) ? ' (an argon2id hash holds commas: quote it)' : '';
      return { line: info.lines, fields: {}, problems: [`has ${record.length} field${record.length === 1 ? '' : 's'} where the header has ${header.length}${hint}`] };
    }
    const fields: RawRow['fields'] = {};
    header.forEach((h, i) => {
      // An empty cell is an absent value (a CSV row has every column).
      if (record[i] !== '') fields[h as Field] = record[i];
    });
    return { line: info.lines, fields, problems: [] };
  });
}

function parseJsonLines(text: string): RawRow[] {
  const rows: RawRow[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      const line = i + 1;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        rows.push({ line, fields: {}, problems: ['is not valid JSON'] });
        return;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        rows.push({ line, fields: {}, problems: ['is not a JSON object'] });
        return;
      }
      const problems: string[] = [];
      const fields: RawRow['fields'] = {};
      for (const [k, v] of Object.entries(value)) {
        if (!(IMPORT_FIELDS as readonly string[]).includes(k)) problems.push(`has an unknown field ${JSON.stringify(k)} (fields: ${IMPORT_FIELDS.join(', ')})`);
        else if (v === null) continue;
        else if (typeof v !== 'string') problems.push(`${k} must be a string`);
        else fields[k as Field] = v;
      }
      rows.push({ line, fields, problems });
    });
  return rows;
}

/** A row that passed every check, ready for AccountsService.createMany. */
export interface CheckedRow {
  line: number;
  account: ImportedAccount;
  /** How the password arrives: `plain` (hashed on import) or `argon2id` (stored as it is). */
  password: 'plain' | 'argon2id' | 'bcrypt';
}

export interface RefusedRow {
  line: number;
  login: string | null;
  reasons: string[];
}

/**
 * Checks each row on its own and the file as a whole (the same login twice refuses every row
 * that has it). `taken`: logins that exist already. Hash rows are also given to the argon2
 * verifier, which must accept them (async).
 */
export async function checkRows(rows: readonly RawRow[], taken: ReadonlySet<string>, now: Date): Promise<{ valid: CheckedRow[]; refused: RefusedRow[] }> {
  const linesOf = new Map<string, number[]>();
  for (const r of rows) {
    const login = r.fields.login;
    if (login !== undefined) linesOf.set(login, [...(linesOf.get(login) ?? []), r.line]);
  }
  const valid: CheckedRow[] = [];
  const refused: RefusedRow[] = [];
  for (const row of rows) {
    const reasons = [...row.problems];
    if (!row.problems.length) reasons.push(...(await rowProblems(row.fields, now)));
    const login = row.fields.login ?? null;
    if (login !== null) {
      const others = linesOf.get(login)!.filter((l) => l !== row.line);
      if (others.length) reasons.push(`duplicate login: also on line ${others.join(', ')}`);
      if (taken.has(login)) reasons.push('login taken: an account with this login exists');
    }
    if (reasons.length) {
      refused.push({ line: row.line, login, reasons });
      continue;
    }
    const f = row.fields;
    valid.push({
      line: row.line,
      account: { login: f.login!, email: f.email!, registeredAt: new Date(f.registeredAt!), ...(f.password !== undefined ? { password: f.password } : { passwordHash: f.passwordHash! }) },
      password: f.password !== undefined ? 'plain' : BCRYPT_HASH.test(f.passwordHash ?? '') ? 'bcrypt' : 'argon2id',
    });
  }
  return { valid, refused };
}

/** A plain password stands in for a hash row's so that the API's own DTO checks the other fields. */
const PLACEHOLDER_PASSWORD = 'placeholder-password';

async function rowProblems(f: RawRow['fields'], now: Date): Promise<string[]> {
  const problems: string[] = [];
  for (const field of REQUIRED) if (f[field] === undefined) problems.push(`${field} is missing`);
  const hasPassword = f.password !== undefined;
  const hasHash = f.passwordHash !== undefined;
  if (hasPassword && hasHash) problems.push('has both password and passwordHash (give one)');
  if (!hasPassword && !hasHash) problems.push('has neither password nor passwordHash');

  // The admin API's own validation (login pattern, email, password length, ISO 8601 date).
  const dto = plainToInstance(CreateAccountDto, { login: f.login, email: f.email, registeredAt: f.registeredAt, password: hasPassword ? f.password : PLACEHOLDER_PASSWORD });
  for (const error of validateSync(dto, { whitelist: true, forbidNonWhitelisted: true })) {
    if (f[error.property as Field] === undefined) continue; // said above: missing
    problems.push(...Object.values(error.constraints ?? {}));
  }
  if (f.registeredAt !== undefined) {
    const at = new Date(f.registeredAt);
    if (Number.isNaN(at.getTime())) {
      if (!problems.some((p) => p.startsWith('registeredAt'))) problems.push('registeredAt is not a date');
    } else if (at.getTime() > now.getTime()) problems.push('registeredAt is in the future');
  }
  if (hasHash && !hasPassword) {
    const problem = await hashProblem(f.passwordHash!);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Largest argon2id cost accepted on import: every Basic verification of the account pays it. */
/** The costliest bcrypt hash accepted (2^14 rounds: about a second of CPU per verification here). */
export const MAX_IMPORTED_BCRYPT_COST = 14;

export const MAX_IMPORTED_ARGON2 = { memoryCost: 262_144, timeCost: 16, parallelism: 16 } as const;

const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * Why a stored hash cannot be imported, or null. Accepted: argon2id PHC strings (version 19)
 * that the service's verifier (@node-rs/argon2, as PasswordHasher) accepts, at a cost up to
 * MAX_IMPORTED_ARGON2; ones made with other parameters than today's are replaced at the
 * account's next sign-in (AccountsService.rehashIfNeeded).
 *
 * bcrypt hashes (`$2a$`, `$2b$`, `$2y$`, cost up to MAX_IMPORTED_BCRYPT_COST) are accepted too:
 * PasswordHasher verifies them, and the first successful sign-in (Basic with the login password,
 * or the sign-in page) replaces them with argon2id. As in the old system, bcrypt reads only a
 * password's first 72 bytes until then.
 */
export async function hashProblem(hash: string): Promise<string | null> {
  if (/^\$2[abxy]\$/.test(hash)) {
    if (!BCRYPT_HASH.test(hash)) return 'the bcrypt hash is malformed ($2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash)';
    const cost = Number(hash.slice(4, 6));
    return cost > MAX_IMPORTED_BCRYPT_COST ? `bcrypt cost ${cost} too costly to verify on a sign-in (at most ${MAX_IMPORTED_BCRYPT_COST})` : null;
  }
  if (/^\$argon2(i|d)\$/.test(hash)) return 'argon2i/argon2d hash: only argon2id hashes are accepted';
  if (hash.length > 255) return 'passwordHash is longer than 255 characters';
  const m = ARGON2ID_PHC.exec(hash);
  if (!m) return 'passwordHash is not an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';
  const [memoryCost, timeCost, parallelism] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (memoryCost > MAX_IMPORTED_ARGON2.memoryCost || timeCost > MAX_IMPORTED_ARGON2.timeCost || parallelism > MAX_IMPORTED_ARGON2.parallelism) {
    return `argon2id parameters too costly to verify on every sign-in (m=${memoryCost}, t=${timeCost}, p=${parallelism}; at most m=${MAX_IMPORTED_ARGON2.memoryCost}, t=${MAX_IMPORTED_ARGON2.timeCost}, p=${MAX_IMPORTED_ARGON2.parallelism})`;
  }
  try {
    await verify(hash, 'portcullis-import-probe');
  } catch (err) {
    return `the argon2id hash is malformed (${(err as Error).message})`;
  }
  return null;
}
