import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { DomainError } from './domain-error.js';

/**
 * A compiled check of a DTO: the DTO instance class-transformer + class-validator would make of
 * `value`, or undefined for anything it does not certainly accept — which then goes the whole
 * way through class-validator, so refusals (and their 400 bodies) stay class-validator's.
 */
export type FastCheck<T> = (value: unknown) => T | undefined;

const fastChecks = new Map<abstract new () => unknown, FastCheck<unknown>>();

/** Registers a compiled check for a DTO class, next to the DTO (see FastCheck). */
export function fastValidation<T>(type: abstract new () => T, check: FastCheck<T>): void {
  fastChecks.set(type, check);
}

/**
 * The global validation pipe: class-validator with the service's rules (whitelist, unknown fields
 * refused, transform) and its `validation_failed` answer. DTOs of hot routes (the file API's
 * queries) have a compiled check first: class-transformer and class-validator cost a listing or an
 * info more than its ACL decision (issue 18), and what the check accepts needs neither.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors: ValidationError[]) =>
        new DomainError('validation_failed', 'request is not valid', {}, errors.map((e) => ({ field: e.property, problems: Object.values(e.constraints ?? {}) }))),
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const check = metadata.metatype === undefined ? undefined : fastChecks.get(metadata.metatype as abstract new () => unknown);
    if (check !== undefined) {
      const dto = check(value);
      if (dto !== undefined) return Promise.resolve(dto);
    }
    return super.transform(value, metadata);
  }
}

/** Own enumerable keys of a plain object, all among `allowed` (else false). */
export function onlyKeys(value: unknown, allowed: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (!allowed.includes(key) || !Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * A string whose length class-validator's Length/MaxLength count as `s.length` (validator.js counts
 * a surrogate pair, and U+FE0E/U+FE0F, as less): within [min, max] here means within there.
 */
export function plainLength(s: string, min: number, max: number): boolean {
  return s.length >= min && s.length <= max && !/[\uD800-\uDFFF\uFE0E\uFE0F]/.test(s);
}
