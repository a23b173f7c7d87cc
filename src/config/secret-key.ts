import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from './config.js';

/**
 * SECRET_KEY from the environment, or from `<dataDir>/secret.key`, generated there once
 * (mode 0600) on first start so that restarts keep sessions, caches and encrypted secrets valid.
 */
export function resolveSecretKey(secretKey: string | undefined, dataDir: string): Buffer {
  if (secretKey) return Buffer.from(secretKey, 'base64');
  const file = join(dataDir, 'secret.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError('SECRET_KEY', `file ${file} does not hold 32 base64 bytes; remove it or set SECRET_KEY`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  // 'wx' fails if another instance created it meanwhile; then read theirs.
  try {
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveSecretKey(undefined, dataDir);
    throw err;
  }
}
