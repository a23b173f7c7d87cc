import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/schema.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

// The service maps the entities its feature modules register (TypeOrmModule.forFeature, with
// DatabaseModule's autoLoadEntities); ormconfig.ts, the operator CLI and the tests map
// src/schema.ts. Were the two to differ, a migration generated with the TypeORM CLI or a CLI
// command would see another schema than the service.
describe('schema: each feature registers its entities, and the root lists them all', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let ds: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the service maps exactly the entities of src/schema.ts', () => {
    const name = (target: unknown) => (typeof target === 'function' ? target.name : String(target));
    expect(ds.entityMetadatas.map((m) => name(m.target)).sort()).toEqual(ENTITIES.map((e) => e.name).sort());
  });
});
