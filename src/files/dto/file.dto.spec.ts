import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppValidationPipe } from '../../errors/validation.pipe.js';
import { InfoQueryDto, ListQueryDto, PathQueryDto } from './file.dto.js';

// The compiled checks of the query DTOs (AppValidationPipe) must accept only what class-validator
// accepts, to the same instance: compared here with the pipe's class-validator path alone.
const slow = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const fast = new AppValidationPipe();

async function outcome(pipe: ValidationPipe, type: new () => unknown, value: unknown): Promise<unknown> {
  try {
    const dto = await pipe.transform(structuredClone(value), { type: 'query', metatype: type });
    return { ok: true, constructor: (dto as object).constructor.name, fields: { ...(dto as object) } };
  } catch {
    return { ok: false };
  }
}

const text = fc.oneof(
  fc.constantFrom('', '/', '/docs', 'a.txt', 'name', 'name,size', ' path , etag ', 'name,', 'password', 'true', 'false', '1', '0', 'maybe', '\uFE0F', '😀', 'x'.repeat(1025)),
  fc.string({ maxLength: 12 }),
);
const value = fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 2 }));
const query = fc.dictionary(fc.constantFrom('path', 'fields', 'recursive', 'filter_full_name', 'unknown', '__proto__'), value, { maxKeys: 4 });

describe('compiled query checks', () => {
  it.each([
    ['PathQueryDto', PathQueryDto],
    ['InfoQueryDto', InfoQueryDto],
    ['ListQueryDto', ListQueryDto],
  ] as const)('%s: property: the same answer as class-validator', async (_name, type) => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        expect(await outcome(fast, type, q)).toEqual(await outcome(slow, type, q));
      }),
      { numRuns: 400 },
    );
  });

  it('refuses an unknown field on every route, as class-validator does', async () => {
    for (const type of [PathQueryDto, InfoQueryDto, ListQueryDto]) {
      expect(await outcome(fast, type, { path: '/', unknown: '1' })).toEqual({ ok: false });
    }
  });
});
