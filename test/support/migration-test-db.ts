import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach } from 'vitest';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { ENTITIES } from '../../src/schema.js';

/**
 * For migration specs: a fresh SQLite file per test, and `open(migrations)`, which runs the given
 * migrations on it (a list cut before the migration under test builds the schema it migrates).
 */
export function migrationTestDb(): { open(migrations: unknown[]): Promise<DataSource> } {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-migration-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    async open(migrations) {
      const ds = await new DataSource(dataSourceOptions(`sqlite:${join(dir, 'db.sqlite')}`, { entities: ENTITIES, migrations: migrations as never })).initialize();
      await ds.runMigrations();
      return ds;
    },
  };
}
