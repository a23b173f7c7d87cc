import { DavHeaderError } from '../../src/dav/core/header-syntax.js';

/** The DavHeaderError that `run` throws; fails the test on a result or another error. */
export function headerError(run: () => unknown): DavHeaderError {
  try {
    run();
  } catch (e) {
    if (e instanceof DavHeaderError) return e;
    throw new Error(`expected DavHeaderError, got ${String(e)}`);
  }
  throw new Error('expected DavHeaderError, got a result');
}
