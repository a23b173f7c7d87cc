// The answer every whoami of the benchmark gives for the legacy account `bench` over Basic: the
// service's `GET /api/whoami` body, which the peers answer too, so all rows send the same bytes.
export const WHOAMI = Object.freeze({ login: 'bench', account: 'bench', sublogin: null, method: 'basic', application: null, scopes: null });
export const BENCH_LOGIN = 'bench';
export const BENCH_PASSWORD = 'bench-password';
