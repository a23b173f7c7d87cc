import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeOtp, type OtpAlgorithm } from '../../../src/otp/core/otp-token.js';

/**
 * The corpus format. Each `data/*.jsonl` file holds one case per line (lines starting with `//`
 * are comments). A case is one HTTP request and the answer the contract requires:
 *
 *   {"id":"basic-003","what":"…","method":"GET","path":"/api/whoami",
 *    "headers":{"authorization":"Basic"},"expect":[400,"malformed_authorization"]}
 *
 * Values that must be bytes rather than text are small expressions (see `Expr`), so a case can
 * say "8 KiB of `a`", "these raw bytes", "base64 of this", or "an OTP for this login that
 * expires in 300 s" without generated data in the file. `${NAME}` inside a string is one of the
 * fixture's values (keys, logins, passwords), filled in by the runner.
 */
export type Expr =
  | string
  | { bytes: string } // hex, spaces allowed: raw bytes
  | { latin1: string } // each char one byte (U+0000..U+00FF)
  | { repeat: [Expr, number] }
  | { concat: Expr[] }
  | { b64: Expr } // base64 of the bytes
  | { q: Expr } // percent-encoded for a query string or path segment (encodeURIComponent)
  | { json: unknown } // JSON text of a value (strings inside are templated)
  | { otp: { login: Expr; password: Expr; expire: string | number; salt?: Expr; alg?: OtpAlgorithm; auth?: string; upper?: boolean } };

/** Who sends the request: a Basic header (or session cookie) made from the fixture. */
export type Actor = 'none' | 'owner' | 'sub' | 'walker' | 'walkerToken' | 'legacy' | 'session' | 'other' | 'admin';

export interface CorpusCase {
  id: string;
  what: string;
  method?: string;
  path: Expr;
  as?: Actor;
  /** Send the fixture's live API key in X-API-KEY (true), or this value. */
  key?: boolean | Expr;
  headers?: Record<string, Expr | Expr[]>;
  body?: Expr;
  /** A JSON body (Content-Type: application/json unless `headers` set one). */
  json?: unknown;
  /** Content-Length to announce instead of the body's length; false: send none. */
  contentLength?: number | false;
  /** The whole request, verbatim (`${HOST}` is the Host value); everything else is ignored. */
  raw?: Expr;
  /** Send the request in this many pieces, `delayMs` apart (a slow client). */
  slow?: { pieces: number; delayMs: number };
  /** Send only this many bytes of the request, then close the connection. */
  abandonAfter?: number;
  /** Send only this many bytes of the request, then go quiet: the server must close it (idle timeout). */
  stallAfter?: number;
  /**
   * Status and error code the contract requires; `null` code: not a JSON error (a success). A
   * list of codes where the contract leaves the choice to a part still being built (a route that
   * gains Bearer answers an unknown scheme with `invalid_token` rather than `authentication_required`).
   * `abandoned`: the client hung up (nothing to check but the state afterwards); `closed`: the
   * server closed the connection without an answer (a stalled client, after the idle timeout).
   */
  expect: [number, string | string[] | null] | 'abandoned' | 'closed';
  /**
   * Answered by Node's HTTP server itself before the service sees the request (a missing Host, an
   * Expect it cannot meet): status only, no body and no request id.
   */
  bare?: boolean;
  /** Parts the JSON answer must contain (toMatchObject). */
  expectJson?: Record<string, unknown>;
  /** Only run when the app serves WebDAV (`/dav/`). */
  dav?: boolean;
}

export interface CorpusFile {
  name: string;
  cases: CorpusCase[];
}

export function loadCorpus(dir: string): CorpusFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((name) => {
      const cases: CorpusCase[] = [];
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const text = line.trim();
          if (text === '' || text.startsWith('//')) return;
          try {
            cases.push(JSON.parse(text) as CorpusCase);
          } catch (err) {
            throw new Error(`${name}:${i + 1}: not JSON: ${(err as Error).message}`);
          }
        });
      return { name, cases };
    });
}

export type Vars = Readonly<Record<string, string>>;

/** `${NAME}` → the fixture's value; an unknown name is a mistake in the corpus. */
export function template(text: string, vars: Vars): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`unknown corpus variable \${${name}}`);
    return v;
  });
}

export function evalExpr(e: Expr, vars: Vars): Buffer {
  if (typeof e === 'string') return Buffer.from(template(e, vars), 'utf8');
  if ('bytes' in e) return Buffer.from(e.bytes.replace(/\s+/g, ''), 'hex');
  if ('latin1' in e) return Buffer.from(template(e.latin1, vars), 'latin1');
  if ('repeat' in e) return repeat(evalExpr(e.repeat[0], vars), e.repeat[1]);
  if ('concat' in e) return Buffer.concat(e.concat.map((x) => evalExpr(x, vars)));
  if ('b64' in e) return Buffer.from(evalExpr(e.b64, vars).toString('base64'), 'latin1');
  if ('q' in e) return Buffer.from(encodeURIComponent(evalExpr(e.q, vars).toString('utf8')), 'latin1');
  if ('json' in e) return Buffer.from(JSON.stringify(templateDeep(e.json, vars)), 'utf8');
  if ('otp' in e) {
    const o = e.otp;
    // `+300` / `-10`: relative to now; anything else (after templating) is EXPIRE as sent.
    const text = typeof o.expire === 'number' ? String(o.expire) : template(o.expire, vars);
    const expire = /^[+-]\d+$/.test(text) ? Math.floor(Date.now() / 1000) + Number(text) : text;
    const login = evalExpr(o.login, vars).toString('utf8');
    let token = makeOtp(login, evalExpr(o.password, vars).toString('utf8'), expire, o.salt === undefined ? `s${Math.random().toString(36).slice(2)}` : evalExpr(o.salt, vars).toString('utf8'), o.alg ?? 'md5');
    const cut = token.lastIndexOf(':') + 1;
    if (o.auth !== undefined) token = token.slice(0, cut) + o.auth;
    if (o.upper) token = token.slice(0, cut) + token.slice(cut).toUpperCase();
    return Buffer.from(token, 'utf8');
  }
  throw new Error(`unknown corpus expression ${JSON.stringify(e)}`);
}

function repeat(b: Buffer, n: number): Buffer {
  return Buffer.concat(Array.from({ length: n }, () => b));
}

/** Strings anywhere inside a JSON value are templated; everything else is kept. */
export function templateDeep(v: unknown, vars: Vars): unknown {
  if (typeof v === 'string') return template(v, vars);
  if (Array.isArray(v)) return v.map((x) => templateDeep(x, vars));
  if (v && typeof v === 'object') {
    // Keys are kept as written, `__proto__` included: JSON.parse made it an own property, and
    // building the copy with defineProperty keeps it one (plain assignment would set the prototype).
    const out = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: templateDeep(x, vars), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}
