/**
 * How scripts/check-layers.mjs reads the imports of src/ (`npm run check:layers`). The script
 * computes the strongly connected sets of top-level folders itself (dependency-cruiser's own
 * `circular` rule works on files, not folders). The rules below keep the bottom layers at the
 * bottom, which a cycle check alone does not (an import upwards that nothing answers is no cycle),
 * and the full entity list at the root.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'config-imports-no-feature',
      comment: 'Configuration is read before anything else is built: it defines the types it needs.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|errors|common)/' },
    },
    {
      name: 'errors-import-no-feature',
      comment: 'Every folder throws and maps errors, so errors sit at the very bottom.',
      severity: 'error',
      from: { path: '^src/errors/' },
      to: { path: '^src/', pathNot: '^src/(errors|common)/' },
    },
    {
      name: 'database-imports-no-feature',
      comment: 'Features register their own entities, the full list is composed at the root (src/schema.ts); the migrations are plain DDL.',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: '^src/', pathNot: '^src/(database|config|errors|common|logging)/' },
    },
    {
      name: 'schema-only-from-the-root',
      comment: 'The full entity list imports every feature: only root files and the operator CLI may use it.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/cli/' },
      to: { path: '^src/schema\\.ts$' },
    },
  ],
  options: {
    // Type-only imports count: an interface shared across folders ties their designs together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Specs wire real pieces of several folders together on purpose; the layers are about the code.
    exclude: { path: '\\.spec\\.ts$|\\.d\\.ts$' },
    moduleSystems: ['es6', 'cjs'],
  },
};
