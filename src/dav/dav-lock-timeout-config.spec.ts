import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.js';

describe('DAV_MAX_LOCK_TIMEOUT', () => {
  it('defaults to an hour', () => {
    expect(loadConfig({}).davMaxLockTimeoutSeconds).toBe(3600);
  });

  it('takes whole seconds from 1 to a week', () => {
    expect(loadConfig({ DAV_MAX_LOCK_TIMEOUT: '1' }).davMaxLockTimeoutSeconds).toBe(1);
    expect(loadConfig({ DAV_MAX_LOCK_TIMEOUT: ' 120 ' }).davMaxLockTimeoutSeconds).toBe(120);
    expect(loadConfig({ DAV_MAX_LOCK_TIMEOUT: '604800' }).davMaxLockTimeoutSeconds).toBe(604800);
  });

  it.each(['0', '604801', 'infinite', '-5', '1.5', '1h'])('stops the start on %j, naming the variable', (value) => {
    expect(() => loadConfig({ DAV_MAX_LOCK_TIMEOUT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DAV_MAX_LOCK_TIMEOUT: value })).toThrow(/^Invalid configuration: DAV_MAX_LOCK_TIMEOUT must be a whole number from 1 to 604800/);
  });
});
