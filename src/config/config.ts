import { isIP } from 'node:net';
import { parseAddressRange } from '../common/address-range.js';

/**
 * Typed configuration, read once from the environment at start (contract §2). A bad value stops
 * the start with one line that names the variable and says what would be accepted.
 */
export interface AppConfig {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  storageDir: string;
  dataDir: string;
  /** base64 of 32 bytes; undefined means "read or generate `<dataDir>/secret.key`". */
  secretKey: string | undefined;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  trustProxy: string[];
  allowInsecureHttp: boolean;
  legacyBasicCutoff: Date;
  apiKeyHeaders: string[];
  otpMaxTtlSeconds: number;
  bootstrapAdminLogin: string;
  bootstrapAdminPassword: string | undefined;
  basicRealm: string;
  sessionTtlSeconds: number;
  verifyCacheTtlSeconds: number;
  bodyLimitBytes: number;
  /** Largest file an upload may write (MAX_UPLOAD_BYTES); JSON bodies stay under bodyLimitBytes. */
  maxUploadBytes: number;
  /**
   * COMPRESS_DOWNLOADS: file content (`/api/file/download`, WebDAV GET) is gzip/br-encoded for
   * clients that accept it, when its type is compressible. Off by default: API answers are
   * compressed regardless (src/common/http/compression.ts).
   */
  compressDownloads: boolean;
  /**
   * Default storage quota of an account without its own (STORAGE_QUOTA_BYTES), in bytes over the
   * main and backup areas together; null: unlimited.
   */
  storageQuotaBytes: number | null;
  /** Brute-force limits (contract §8); THROTTLE_* variables. */
  throttle: ThrottleLimits;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Client addresses/CIDRs that may read /metrics without a session (METRICS_ALLOW); operators may always. */
  metricsAllow: string[];
  /** Longest WebDAV lock (DAV_MAX_LOCK_TIMEOUT): `Timeout: Infinite`, longer requests and refreshes get this. */
  davMaxLockTimeoutSeconds: number;
  /** REQUIRE_ADMIN_2FA: operator accounts must have a second factor (contract §4.9); they enrol right after their password. */
  requireAdmin2fa: boolean;
  /** REQUIRE_2FA: every account must have a second factor. */
  require2fa: boolean;
}

/**
 * Brute-force limits (contract §8), THROTTLE_*. Defined here, where they are read: configuration
 * imports no feature; the throttle policy (src/auth/core/throttle-policy.ts) applies them.
 */
export interface ThrottleLimits {
  /** Failures are counted in windows of this many seconds. */
  windowSeconds: number;
  /** Per (login, subnet): this many failures cost nothing. */
  freeFailures: number;
  /** Per (login, subnet): delay after the free failures, doubled for each further one... */
  baseDelayMs: number;
  /** ...up to this cap. */
  maxDelayMs: number;
  /** Per (login, subnet): refuse (429) once this many failures are in the window. */
  refuseLoginSubnetAt: number;
  /** Per subnet, all logins together: refuse once this many failures are in the window. */
  refuseSubnetAt: number;
  /**
   * Per login, all subnets together: once this many failures are in the window, a subnet that
   * has already failed for this login is refused. A subnet with no failure (the real user)
   * still gets in, so the account is never locked as such, yet a login sees at most about this
   * many guesses an hour however many addresses the guesser has (each fresh one gets one try).
   */
  refuseLoginAt: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env): AppConfig {
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
    }
    return Number(raw);
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false (got "${raw}")`);
  };
  const list = (name: string, def: string[]): string[] => {
    const raw = read(name);
    return raw === undefined ? def : raw.split(',').map((s) => s.trim()).filter(Boolean);
  };

  const host = read('HOST') ?? '127.0.0.1';
  if (!isIP(host) && !/^[a-zA-Z0-9.-]+$/.test(host)) throw new ConfigError('HOST', `must be an IP address or host name (got "${host}")`);
  const port = int('PORT', 3000, 0, 65535);

  const publicUrl = read('PUBLIC_URL') ?? `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL (got "${publicUrl}")`);
  }

  const dataDir = read('DATA_DIR') ?? './data';
  const databaseUrl = read('DATABASE_URL') ?? `sqlite:${dataDir}/portcullis.sqlite`;
  if (!/^sqlite:.+/.test(databaseUrl) && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be sqlite:PATH or postgres://USER@HOST:PORT/DB');
  }

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/.+/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', `must be redis://HOST:PORT (got "${redisUrl}")`);
  }

  const secretKey = read('SECRET_KEY');
  if (secretKey !== undefined && decodedLength(secretKey) !== 32) {
    throw new ConfigError('SECRET_KEY', 'must be 32 random bytes in base64 (openssl rand -base64 32)');
  }

  const tlsCertFile = read('TLS_CERT_FILE');
  const tlsKeyFile = read('TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError(tlsCertFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'must be set together with the other TLS_*_FILE');
  }

  const trustProxy = list('TRUST_PROXY', []);
  for (const entry of trustProxy) {
    const [addr, bits] = entry.split('/');
    if (!isIP(addr ?? '') || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new ConfigError('TRUST_PROXY', `must be a comma-separated list of IP addresses or CIDR ranges (got "${entry}")`);
    }
  }

  const cutoffRaw = read('LEGACY_BASIC_CUTOFF') ?? '2021-06-02T16:25:00+09:00';
  const legacyBasicCutoff = new Date(cutoffRaw);
  if (Number.isNaN(legacyBasicCutoff.getTime())) {
    throw new ConfigError('LEGACY_BASIC_CUTOFF', `must be an ISO 8601 date-time (got "${cutoffRaw}")`);
  }

  const apiKeyHeaders = list('API_KEY_HEADERS', ['X-API-KEY', 'X-TeraCLOUD-API-KEY']).map((h) => h.toLowerCase());
  for (const h of apiKeyHeaders) {
    if (!/^[a-z0-9-]+$/.test(h)) throw new ConfigError('API_KEY_HEADERS', `has an invalid header name "${h}"`);
  }

  const bootstrapAdminLogin = read('BOOTSTRAP_ADMIN_LOGIN') ?? 'admin';
  if (!/^[a-z0-9][a-z0-9_.]{2,31}$/.test(bootstrapAdminLogin)) {
    throw new ConfigError('BOOTSTRAP_ADMIN_LOGIN', 'must match ^[a-z0-9][a-z0-9_.]{2,31}$');
  }
  const bootstrapAdminPassword = read('BOOTSTRAP_ADMIN_PASSWORD');
  if (bootstrapAdminPassword !== undefined && bootstrapAdminPassword.length < 12) {
    throw new ConfigError('BOOTSTRAP_ADMIN_PASSWORD', 'must be at least 12 characters');
  }

  const basicRealm = read('BASIC_REALM') ?? 'Portcullis';
  if (!/^[\x20-\x7e]{1,64}$/.test(basicRealm) || /["\\]/.test(basicRealm)) {
    throw new ConfigError('BASIC_REALM', 'must be 1 to 64 printable ASCII characters without quotes or backslashes');
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  // `none` leaves /metrics to operators' sessions only.
  const metricsAllowRaw = list('METRICS_ALLOW', ['127.0.0.0/8', '::1']);
  const metricsAllow = metricsAllowRaw.length === 1 && metricsAllowRaw[0]!.toLowerCase() === 'none' ? [] : metricsAllowRaw;
  for (const entry of metricsAllow) {
    if (!parseAddressRange(entry)) throw new ConfigError('METRICS_ALLOW', `must be a comma-separated list of IP addresses or CIDR ranges, or none (got "${entry}")`);
  }

  const redisKeyPrefix = read('REDIS_KEY_PREFIX') ?? 'portcullis:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisKeyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1 to 64 of A-Z a-z 0-9 : _ . -');

  return {
    host,
    port,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    databaseUrl,
    redisUrl,
    redisKeyPrefix,
    storageDir: read('STORAGE_DIR') ?? `${dataDir}/storage`,
    dataDir,
    secretKey,
    tlsCertFile,
    tlsKeyFile,
    trustProxy,
    allowInsecureHttp: bool('ALLOW_INSECURE_HTTP', false),
    legacyBasicCutoff,
    apiKeyHeaders,
    otpMaxTtlSeconds: int('OTP_MAX_TTL', 86_400, 1, 31 * 86_400),
    bootstrapAdminLogin,
    bootstrapAdminPassword,
    basicRealm,
    sessionTtlSeconds: int('SESSION_TTL', 8 * 3600, 60, 30 * 86_400),
    verifyCacheTtlSeconds: int('VERIFY_CACHE_TTL', 300, 0, 3600),
    bodyLimitBytes: int('BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxUploadBytes: int('MAX_UPLOAD_BYTES', 10 * 1024 ** 3, 1, 2 ** 50),
    compressDownloads: bool('COMPRESS_DOWNLOADS', false),
    // Unset (or empty): unlimited. 0 is a quota too: nothing may be stored.
    storageQuotaBytes: read('STORAGE_QUOTA_BYTES') === undefined ? null : int('STORAGE_QUOTA_BYTES', 0, 0, 2 ** 50),
    throttle: {
      windowSeconds: int('THROTTLE_WINDOW', 3600, 1, 86_400),
      freeFailures: int('THROTTLE_FREE_FAILURES', 5, 0, 1000),
      baseDelayMs: int('THROTTLE_BASE_DELAY_MS', 250, 0, 60_000),
      maxDelayMs: int('THROTTLE_MAX_DELAY_MS', 4000, 0, 60_000),
      refuseLoginSubnetAt: int('THROTTLE_LOGIN_SUBNET_MAX', 20, 1, 100_000),
      refuseSubnetAt: int('THROTTLE_SUBNET_MAX', 100, 1, 1_000_000),
      refuseLoginAt: int('THROTTLE_LOGIN_MAX', 100, 1, 1_000_000),
    },
    logLevel,
    metricsAllow,
    davMaxLockTimeoutSeconds: int('DAV_MAX_LOCK_TIMEOUT', 3600, 1, 7 * 86_400),
    requireAdmin2fa: bool('REQUIRE_ADMIN_2FA', false),
    require2fa: bool('REQUIRE_2FA', false),
  };
}

function decodedLength(b64: string): number {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return -1;
  return Buffer.from(b64, 'base64').length;
}
