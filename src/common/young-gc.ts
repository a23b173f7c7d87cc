import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor'; execution: 'async' | 'sync' }) => void;

let gc: Gc | undefined;

/**
 * Asks V8 for a young-generation collection (a scavenge, short whatever the heap's size). For
 * large request bodies: each chunk of one arrives in a fresh buffer outside V8's heap, and V8
 * collects those only once 64 MiB of them are garbage, so a large upload grew the process by about
 * that much; collecting every few MiB of body keeps it to its working set (bench/README.md).
 */
export function collectYoungGarbage(): void {
  if (!gc) {
    // The gc function, without starting Node with --expose-gc for the whole process.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'minor', execution: 'async' });
}
