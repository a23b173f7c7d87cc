import { defineConfig } from 'vitest/config';

// Vite's oxc transform compiles the TypeScript, keeping legacy decorators and their metadata
// (emitDecoratorMetadata): Nest's constructor injection and TypeORM's column types depend on it.
const oxc = { decorator: { legacy: true, emitDecoratorMetadata: true } };

export default defineConfig({
  oxc,
  test: {
    projects: [
      {
        oxc,
        test: { name: 'unit', include: ['src/**/*.spec.ts'], environment: 'node' },
      },
      {
        oxc,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts', 'test/corpus/**/*.e2e-spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the real
        // app on loopback: the pages and Swagger UI as a person uses them. Screenshots go to
        // docs/screenshots/. One file at a time: each launches its own browser.
        oxc,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser-spec.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The built service (dist/) as a child process: the database unreachable at start, SIGTERM
        // and kill -9 during uploads; and `npm run start:dev` (tsc --watch + node --watch on a copy
        // of the sources). `npm run test:faults` builds first; .ci/run runs it after its build, on
        // PostgreSQL (PORTCULLIS_TEST_POSTGRES), else SQLite.
        oxc,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.faults-spec.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Several app instances on one PostgreSQL database and one Redis: run by .ci/run, which
        // provides PORTCULLIS_TEST_POSTGRES and PORTCULLIS_TEST_REDIS (the suite fails without them).
        oxc,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.cluster-spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
