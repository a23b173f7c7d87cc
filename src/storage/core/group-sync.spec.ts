import { describe, expect, it } from 'vitest';
import { groupSync } from './atomic-write.js';

/** A folder fsync the test finishes by hand. */
function fakeFsyncs() {
  const started: Array<{ dir: string; done: (err?: Error) => void }> = [];
  const fsync = (dir: string) =>
    new Promise<void>((resolve, reject) => {
      started.push({ dir, done: (err) => (err ? reject(err) : resolve()) });
    });
  return { started, fsync };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('groupSync (one folder fsync for the renames of concurrent writes)', () => {
  it('answers each caller only after an fsync that started after its call, sharing the next one', async () => {
    const { started, fsync } = fakeFsyncs();
    const sync = groupSync(fsync);
    const answered: string[] = [];
    const a = sync('/f').then(() => answered.push('a'));
    await tick();
    expect(started).toHaveLength(1);
    // b and c arrive while a's fsync runs: it may have started before their renames.
    const b = sync('/f').then(() => answered.push('b'));
    const c = sync('/f').then(() => answered.push('c'));
    await tick();
    expect(started).toHaveLength(1);
    started[0]!.done();
    await a;
    await tick();
    expect(answered).toEqual(['a']);
    // One more fsync, started after the first ended, for both.
    expect(started).toHaveLength(2);
    started[1]!.done();
    await Promise.all([b, c]);
    expect(answered).toEqual(['a', 'b', 'c']);
    expect(started).toHaveLength(2);
  });

  it('keeps folders apart and passes an fsync error to everyone it served', async () => {
    const { started, fsync } = fakeFsyncs();
    const sync = groupSync(fsync);
    const first = sync('/x');
    const other = sync('/y');
    await tick();
    expect(started.map((s) => s.dir)).toEqual(['/x', '/y']);
    const second = sync('/x');
    const third = sync('/x');
    started[0]!.done();
    started[1]!.done();
    await Promise.all([first, other]);
    await tick();
    started[2]!.done(new Error('EIO'));
    await expect(second).rejects.toThrow('EIO');
    await expect(third).rejects.toThrow('EIO');
    // Afterwards a new call starts its own fsync at once.
    const fourth = sync('/x');
    await tick();
    expect(started).toHaveLength(4);
    started[3]!.done();
    await fourth;
  });
});
