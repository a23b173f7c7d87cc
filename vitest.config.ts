import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC does the TypeScript transform so that decorator metadata (emitDecoratorMetadata)
// survives: Nest's constructor injection and TypeORM's column types depend on it.
const swcPlugin = () =>
  swc.vite({
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'es6' },
  });

export default defineConfig({
  oxc: false,
  test: {
    projects: [
      {
        plugins: [swcPlugin()],
        oxc: false,
        test: { name: 'unit', include: ['src/**/*.spec.ts'], environment: 'node' },
      },
      {
        plugins: [swcPlugin()],
        oxc: false,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Several app instances on one PostgreSQL database and one Redis: run by .ci/run, which
        // provides PORTCULLIS_TEST_POSTGRES and PORTCULLIS_TEST_REDIS (the suite fails without them).
        plugins: [swcPlugin()],
        oxc: false,
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
