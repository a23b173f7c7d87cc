import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA } from '../schema.js';
import { dataSourceOptions } from './data-source-options.js';
import { WalCheckpointService } from './wal-checkpoint.service.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.js';

describe('WalCheckpointService (the service data source, SQLite file)', () => {
  let dir: string | undefined;
  let ds: DataSource | undefined;

  afterEach(async () => {
    await ds?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    ds = dir = undefined;
  });

  it('leaves checkpoints to its worker: the log reaches the database file without the connection checkpointing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-wal-service-'));
    const file = join(dir, 'db.sqlite');
    ds = await new DataSource(dataSourceOptions(`sqlite:${file}`, SCHEMA)).initialize();
    expect(await ds.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: FALLBACK_AUTOCHECKPOINT_PAGES }]);
    await ds.query('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
    const before = statSync(file).size;
    // 300 pages: under the connection's own threshold, so only the worker can copy them back.
    for (let i = 0; i < 300; i++) await ds.query('INSERT INTO t (body) VALUES (?)', ['z'.repeat(4000)]);
    expect(statSync(file).size).toBe(before);

    const service = new WalCheckpointService(ds);
    service.onModuleInit();
    try {
      await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThanOrEqual(before + 300 * 4096), { timeout: 5_000 });
    } finally {
      await service.onModuleDestroy();
    }
  });
});
