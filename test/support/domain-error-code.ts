import { DomainError } from '../../src/errors/domain-error.js';

/** The contract code a promise is refused with (a DomainError), or undefined when it resolves. */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return undefined;
}
