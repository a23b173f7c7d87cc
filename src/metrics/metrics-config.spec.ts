import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.js';

describe('METRICS_ALLOW', () => {
  it('defaults to loopback', () => {
    expect(loadConfig({}).metricsAllow).toEqual(['127.0.0.0/8', '::1']);
  });

  it('takes addresses and CIDR ranges, or none', () => {
    expect(loadConfig({ METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7 ,fd00::/8' }).metricsAllow).toEqual(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    expect(loadConfig({ METRICS_ALLOW: 'none' }).metricsAllow).toEqual([]);
  });

  it.each(['prometheus.internal', '10.0.0.0/40', '10.0.0.1,none'])('stops the start on %s, naming the variable', (value) => {
    expect(() => loadConfig({ METRICS_ALLOW: value })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_ALLOW: value })).toThrow(/^Invalid configuration: METRICS_ALLOW /);
  });
});
