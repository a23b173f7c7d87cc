import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';

describe('STORAGE_QUOTA_BYTES', () => {
  it('is unlimited (null) when unset or empty', () => {
    expect(loadConfig({}).storageQuotaBytes).toBeNull();
    expect(loadConfig({ STORAGE_QUOTA_BYTES: ' ' }).storageQuotaBytes).toBeNull();
  });

  it('takes a whole number of bytes, 0 included', () => {
    expect(loadConfig({ STORAGE_QUOTA_BYTES: '10737418240' }).storageQuotaBytes).toBe(10737418240);
    expect(loadConfig({ STORAGE_QUOTA_BYTES: '0' }).storageQuotaBytes).toBe(0);
  });

  it.each(['10GB', '-1', '1.5', String(2 ** 50 + 1)])('stops the start on %j, naming the variable', (raw) => {
    expect(() => loadConfig({ STORAGE_QUOTA_BYTES: raw })).toThrow(/^Invalid configuration: STORAGE_QUOTA_BYTES must be a whole number from 0 to/);
  });
});
