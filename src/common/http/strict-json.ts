import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../errors/domain-error.js';

/** Deeper than any body the API takes (a sublogin's rules are 3 levels); far below stack limits. */
export const MAX_JSON_DEPTH = 64;

/**
 * Keys refused anywhere in a body. `__proto__` would replace an object's prototype when the value
 * is copied or merged; `constructor` (with `prototype`) reaches a class's prototype the same way.
 * No DTO has such a field, and class-transformer silently drops `constructor`, so without this a
 * body carrying one passed the "unknown fields are refused" rule instead of failing it.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// fatal: bytes that are not UTF-8 fail instead of becoming U+FFFD, which would silently turn two
// different byte strings into one name (contract §8: bad UTF-8 is a 4xx and changes nothing).
// A leading byte order mark is dropped, as RFC 8259 §8.1 lets a parser do.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The service's JSON body parser (app.factory.ts, in place of Fastify's default): RFC 8259 JSON
 * in UTF-8, nesting at most MAX_JSON_DEPTH levels, without prototype-pollution keys. Fastify's
 * default decoded bad UTF-8 to U+FFFD (a folder named with replacement characters was created),
 * and a deeply nested body overflowed the stack in validation (a 500).
 */
export function parseStrictJson(body: Buffer): unknown {
  if (body.length === 0) throw new DomainError('malformed_json', 'the request body is empty');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new DomainError('malformed_json', 'the request body is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('malformed_json', 'request body is not valid JSON');
  }
  checkShape(value);
  return value;
}

/** Fastify content-type parser around parseStrictJson. */
export function strictJsonBodyParser(_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(body);
  } catch (err) {
    done(err as Error, undefined);
    return;
  }
  done(null, parsed);
}

/** Depth and keys, walked with an explicit stack (the value may be deeper than the call stack allows). */
function checkShape(root: unknown): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [value, depth] = item;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new DomainError('bad_request', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(value)) {
      for (const v of value) stack.push([v, depth + 1]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new DomainError('malformed_json', `the key "${key}" is not accepted in a JSON body`);
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
}
