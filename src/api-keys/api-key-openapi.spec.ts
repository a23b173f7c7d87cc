import type { OpenAPIObject } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import { applyApiKeyPolicies } from './api-key-openapi.js';

const doc = (ops: Record<string, Record<string, unknown>>): OpenAPIObject =>
  ({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: Object.fromEntries(Object.entries(ops).map(([p, op]) => [p, { get: op }])) }) as unknown as OpenAPIObject;

describe('applyApiKeyPolicies', () => {
  it('ANDs a required key with every non-session alternative', () => {
    const out = applyApiKeyPolicies(doc({ '/r': { 'x-api-key': 'required', security: [{ basic: [] }, { otp: [] }, { session: [] }], responses: {} } }));
    expect(out.paths['/r']!.get!.security).toEqual([{ basic: [], api_key: [] }, { otp: [], api_key: [] }, { session: [] }]);
    expect(out.paths['/r']!.get!.description).toContain('api_key_required');
  });

  it('adds keyed alternatives beside the plain ones for an optional key', () => {
    const out = applyApiKeyPolicies(doc({ '/o': { 'x-api-key': 'optional', description: 'Who am I', security: [{ basic: [] }, { session: [] }], responses: {} } }));
    expect(out.paths['/o']!.get!.security).toEqual([{ basic: [] }, { session: [] }, { basic: [], api_key: [] }]);
    expect(out.paths['/o']!.get!.description).toMatch(/^Who am I\n\n\*\*API key optional\*\*/);
  });

  it('leaves routes without a policy alone', () => {
    const out = applyApiKeyPolicies(doc({ '/n': { security: [{ session: [] }], responses: {} } }));
    expect(out.paths['/n']!.get).toEqual({ security: [{ session: [] }], responses: {} });
  });
});
