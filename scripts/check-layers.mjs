#!/usr/bin/env node
// Modules depend one way (issue 17): reads every import under a source folder (src/ by default,
// type-only imports included) with dependency-cruiser, folds the files into their top-level
// folders, and fails on any strongly connected set of more than one folder, printing the set and
// one import per pair; it also fails on the rule file's own rules (.dependency-cruiser.cjs).
//
//   node scripts/check-layers.mjs [source-folder] [--graph]
//
// --graph also prints each folder's imports. Files directly in the source folder (main.ts,
// app.module.ts, ...) are each a node of their own; they sit at the top and nothing imports them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const printGraph = args.includes('--graph');
const source = path.relative(repo, path.resolve(args.find((a) => !a.startsWith('--')) ?? 'src')).split(path.sep).join('/');
process.chdir(repo);

const options = await extractDepcruiseOptions(path.join(repo, '.dependency-cruiser.cjs'));
options.includeOnly = `^${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`;
const tsConfig = extractTSConfig(path.join(repo, options.tsConfig?.fileName ?? 'tsconfig.json'));
const { output } = await cruise([source], { ...options, outputType: 'json' }, {}, { tsConfig });
const result = typeof output === 'string' ? JSON.parse(output) : output;

if (!result.modules.some((m) => m.source.startsWith(`${source}/`))) {
  console.log(`Layers: FAILED (no source files under ${source}/)`);
  process.exit(1);
}

/** src/auth/x.ts -> auth; src/main.ts -> main.ts */
const folderOf = (file) => file.slice(source.length + 1).split('/')[0];

/** folder -> (folder it imports -> one import that says so) */
const edges = new Map();
for (const mod of result.modules) {
  if (!mod.source.startsWith(`${source}/`)) continue;
  const from = folderOf(mod.source);
  if (!edges.has(from)) edges.set(from, new Map());
  for (const dep of mod.dependencies) {
    if (!dep.resolved.startsWith(`${source}/`)) continue;
    const to = folderOf(dep.resolved);
    if (to === from || edges.get(from).has(to)) continue;
    edges.get(from).set(to, `${mod.source} -> ${dep.resolved}${dep.dependencyTypes.includes('type-only') ? ' (type-only)' : ''}`);
  }
}

/** Tarjan's strongly connected components over the folder graph. */
function stronglyConnected(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const sets = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const set = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      sets.push(set.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return sets;
}

if (printGraph) {
  console.log(`Folder imports under ${source}/:`);
  for (const folder of [...edges.keys()].sort()) console.log(`  ${folder.padEnd(16)} ${[...edges.get(folder).keys()].sort().join(' ')}`);
}

let failed = false;
const cycles = stronglyConnected(edges).filter((set) => set.length > 1);
for (const set of cycles) {
  failed = true;
  console.log(`\nImport cycle between the folders of ${source}/: ${set.join(', ')}`);
  for (const from of set) {
    for (const [to, example] of [...edges.get(from)].sort()) if (set.includes(to)) console.log(`  ${from} -> ${to}: ${example}`);
  }
}

const violations = result.summary.violations.filter((v) => v.rule.severity === 'error');
if (violations.length) {
  failed = true;
  console.log('\nImports the rules of .dependency-cruiser.cjs forbid:');
  for (const v of violations) console.log(`  ${v.rule.name}: ${v.from} -> ${v.to}`);
}

if (failed) {
  console.log(`\nLayers: FAILED (${cycles.length} cycle(s) between folders, ${violations.length} forbidden import(s))`);
  process.exit(1);
}
console.log(`Layers: ${edges.size} folders and root files under ${source}/, no import cycle between them.`);
