import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Swagger UI's "Try it out" fills each parameter's input with its example (the parameter's
 * `example` or `examples`, its schema's `example`, its content's example), and sends it: a
 * `fields=name,size&filter_full_name=*.pdf` listing came back empty for a new user (issue 16).
 * So no parameter of the committed document (kept equal to the generated one by
 * test/e2e/contract.e2e-spec.ts) has one; examples go in the description. A `default` is the
 * server's own behaviour when the parameter is left out, so filling it in changes nothing.
 */
interface Parameter {
  name: string;
  in: string;
  example?: unknown;
  examples?: unknown;
  schema?: { example?: unknown; examples?: unknown };
  content?: Record<string, { example?: unknown; examples?: unknown }>;
}

const document = JSON.parse(readFileSync(join(import.meta.dirname, '../../openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
};

/** Every parameter whose input Swagger UI would prefill with an example, as `METHOD path in:name`. */
export function prefilledParameters(doc: typeof document): string[] {
  const found: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const p of operation.parameters ?? []) {
        const inContent = Object.values(p.content ?? {}).some((c) => c.example !== undefined || c.examples !== undefined);
        if (p.example !== undefined || p.examples !== undefined || p.schema?.example !== undefined || p.schema?.examples !== undefined || inContent) {
          found.push(`${method.toUpperCase()} ${path} ${p.in}:${p.name}`);
        }
      }
    }
  }
  return found;
}

describe('openapi.json: no parameter example that Swagger UI would send as a value', () => {
  it('has none', () => {
    expect(prefilledParameters(document)).toEqual([]);
  });

  it('has parameters to check, and would find an example on one', () => {
    expect(Object.values(document.paths['/api/file/list']!.get!.parameters!).map((p) => p.name)).toEqual(expect.arrayContaining(['path', 'fields', 'filter_full_name']));
    const planted = structuredClone(document);
    planted.paths['/api/file/list']!.get!.parameters!.find((p) => p.name === 'fields')!.schema!.example = 'name,size';
    expect(prefilledParameters(planted)).toEqual(['GET /api/file/list query:fields']);
  });
});
