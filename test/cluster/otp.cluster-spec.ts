import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

describe('an OTP across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2);
    const admin = await cluster.nodes[0]!.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'otpuser', password: 'otp-user-password', email: 'o@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is accepted exactly once under 200 concurrent requests spread over both', async () => {
    const otp = makeOtp('otpuser', 'otp-user-password', Math.floor(Date.now() / 1000) + 120, 'cluster-salt', 'md5');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => rawRequest(`${cluster.nodes[i % 2]!.url}/api/whoami?otp=${encodeURIComponent(otp)}`)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body?.code === 'otp_replayed')).toHaveLength(199);
  });
});
