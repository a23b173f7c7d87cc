import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

/** A form or query body as the page handlers receive it, before validation. */
export type FormBody = Record<string, unknown>;

/**
 * The string fields of a form: empty fields are left out (a blank optional field means "not
 * given", as an absent JSON property does), repeated fields and the CSRF token are dropped.
 * Values are not trimmed: a password's spaces are its own.
 */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body)) {
    if (k === '_csrf' || typeof v !== 'string' || v === '') continue;
    out[k] = v;
  }
  return out;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Checks a form against the API's own DTO, so a page accepts exactly what the API accepts, and
 * answers the problems as sentences for the page instead of throwing.
 */
export async function validateAs<T extends object>(cls: new () => T, plain: object): Promise<Validated<T>> {
  const value = plainToInstance(cls, plain);
  const errors = await validate(value, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length === 0) return { ok: true, value };
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? { [e.property]: `${e.property} is not valid` }));
  return { ok: false, problems };
}

/** Lines of a textarea, trimmed, blank ones dropped. */
export function lines(text: string | undefined): string[] {
  return (text ?? '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The limits fields of a form as the API takes them: an empty expiry or address list is none; the
 * browser's `datetime-local` (no zone) is read as UTC, as the form says.
 */
export function formLimits(f: Record<string, string | undefined>): { expiresAt: string | null; allowedRanges: string[] | null } {
  const at = f.expiresAt?.trim() ?? '';
  const ranges = (f.allowedRanges ?? '').split(/[\s,]+/).filter(Boolean);
  return { expiresAt: at === '' ? null : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(at) ? `${at}Z` : at, allowedRanges: ranges.length ? ranges : null };
}
