import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WalCheckpointer } from './wal-checkpointer.js';

const PAGE = 4096;

describe('WalCheckpointer', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-wal-'));
    file = join(dir, 'db.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Only the worker checkpoints here: any growth of the database file is its doing.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    db.pragma('wal_checkpoint(TRUNCATE)');
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const writePages = (pages: number) => {
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    for (let i = 0; i < pages; i++) insert.run('x'.repeat(PAGE - 200));
  };

  it('copies the log into the database file from its own thread', async () => {
    const before = statSync(file).size;
    writePages(200);
    // Committed, but only in the log: the database file has not grown.
    expect(statSync(file).size).toBe(before);
    const errors: string[] = [];
    const checkpointer = WalCheckpointer.start(file, (e) => errors.push(e), 10);
    try {
      await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThanOrEqual(before + 200 * PAGE), { timeout: 5_000 });
    } finally {
      await checkpointer.stop();
    }
    expect(errors).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 200 });
  });

  it('checkpoints while the connection keeps committing, and no commit fails', async () => {
    // The service's busy timeout: a commit that meets the checkpointer's rare instant waits.
    db.pragma('busy_timeout = 5000');
    const checkpointer = WalCheckpointer.start(file, () => undefined, 1);
    try {
      const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
      const deadline = Date.now() + 1_000;
      let commits = 0;
      // Yield between commits so the worker's checkpoints interleave with them.
      while (Date.now() < deadline) {
        insert.run('y'.repeat(1000));
        commits++;
        if (commits % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: commits });
    } finally {
      await checkpointer.stop();
    }
    // The checkpoints did run meanwhile: the rows reached the database file.
    expect(statSync(file).size).toBeGreaterThan(10 * PAGE);
  });

  it('reports a database it cannot open, and still stops', async () => {
    const errors: string[] = [];
    const checkpointer = WalCheckpointer.start(join(dir, 'missing.sqlite'), (e) => errors.push(e), 10);
    await vi.waitFor(() => expect(errors.join()).toMatch(/unable to open|does not exist/i));
    await checkpointer.stop();
  });
});
