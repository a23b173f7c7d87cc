// The token endpoint's peer in npm run bench: oidc-provider 9 alone (its own Koa app on node:http),
// configured like the service's provider where the refresh_token grant is concerned — a public
// client (no authentication, PKCE), refresh tokens rotated on every use (a reused one revokes the
// grant), one resource server with opaque access tokens of an hour — with an in-memory adapter
// (below) instead of the service's database. Its token endpoint is POST /oauth/token.
//
// POST /bench/grants?n=N (outside the provider) mints N grants for account `bench`, scope
// file:read, each with a refresh token, and answers [{ refresh_token, client_id }]: the benchmark
// needs many grants, and how they came about is not what is measured.
// Prints "READY <url>" when listening.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const CLIENT_ID = 'bench-client';
const HOUR = 3600;

/**
 * oidc-provider's storage in Maps. Its bundled MemoryAdapter is an LRU of 1,000 entries, which
 * under this load would evict grants still waiting for their turn.
 */
class MapAdapter {
  static entries = new Map();
  static byGrant = new Map();
  static byUid = new Map();
  static byUserCode = new Map();

  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    MapAdapter.entries.set(key, { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      let keys = MapAdapter.byGrant.get(payload.grantId);
      if (!keys) MapAdapter.byGrant.set(payload.grantId, (keys = new Set()));
      keys.add(key);
    }
    if (payload.uid) MapAdapter.byUid.set(payload.uid, id);
    if (payload.userCode) MapAdapter.byUserCode.set(payload.userCode, id);
  }
  async find(id) {
    const e = MapAdapter.entries.get(this.key(id));
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      MapAdapter.entries.delete(this.key(id));
      return undefined;
    }
    return e.payload;
  }
  async findByUid(uid) {
    const id = MapAdapter.byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode(userCode) {
    const id = MapAdapter.byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }
  async consume(id) {
    const e = MapAdapter.entries.get(this.key(id));
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    const key = this.key(id);
    const e = MapAdapter.entries.get(key);
    MapAdapter.entries.delete(key);
    if (e?.payload.grantId) MapAdapter.byGrant.get(e.payload.grantId)?.delete(key);
  }
  async revokeByGrantId(grantId) {
    for (const key of MapAdapter.byGrant.get(grantId) ?? []) MapAdapter.entries.delete(key);
    MapAdapter.byGrant.delete(grantId);
  }
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const resource = issuer;

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  jwks: { keys: [{ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'Ed25519' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  enabledJWA: { idTokenSigningAlgValues: ['Ed25519'] },
  clientDefaults: { id_token_signed_response_alg: 'Ed25519' },
  clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: ['http://127.0.0.1:9/callback'] }],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  routes: { token: '/oauth/token' },
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({ scope: 'file:read', audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: HOUR }),
    },
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  rotateRefreshToken: () => true,
  revokeGrantPolicy: () => true,
  ttl: { AccessToken: HOUR, RefreshToken: 30 * 24 * HOUR, Grant: 365 * 24 * HOUR, AuthorizationCode: 60, Interaction: HOUR, Session: HOUR, IdToken: HOUR },
});

async function mintGrants(n) {
  const client = await provider.Client.find(CLIENT_ID);
  const out = [];
  for (let i = 0; i < n; i++) {
    const grant = new provider.Grant({ accountId: 'bench', clientId: CLIENT_ID });
    grant.addResourceScope(resource, 'file:read');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({ accountId: 'bench', client, grantId, gty: 'authorization_code', scope: 'file:read', resource, expiresWithSession: false });
    out.push({ refresh_token: await rt.save(), client_id: CLIENT_ID });
  }
  return out;
}

const handle = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'POST' && url.pathname === '/bench/grants') {
    mintGrants(Number(url.searchParams.get('n') ?? 1)).then(
      (grants) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(grants)),
      (err) => res.writeHead(500).end(String(err?.stack ?? err)),
    );
    return;
  }
  handle(req, res);
});
server.keepAliveTimeout = 65_000;
console.log(`READY ${issuer}`);
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
