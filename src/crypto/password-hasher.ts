import { hash, parseOptions, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

/** OWASP's argon2id minimum (m=19 MiB, t=2, p=1). `algorithm: 2` is Argon2id (a const enum upstream). */
export const ARGON2_PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A bcrypt hash (`$2a$`, `$2b$`, `$2y$`): only accounts imported from an older system have one. */
export const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * argon2id hashing. `verifyOrDummy` verifies against a fixed dummy hash when the login is
 * unknown, so an unknown login and a wrong password take the same time (contract §8).
 * bcrypt hashes of imported accounts are verified too, and `needsRehash` says they are to be
 * replaced by argon2id at the first successful sign-in.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: typeof ARGON2_PARAMS = ARGON2_PARAMS) {}

  hash(password: string): Promise<string> {
    return hash(password, this.params);
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      if (BCRYPT_HASH.test(storedHash)) return await bcrypt.compare(password, storedHash);
      return await verify(storedHash, password);
    } catch {
      return false; // a corrupt stored hash must read as "wrong password", never as a 500
    }
  }

  /** Verify, or burn the same time on a dummy hash when there is nothing to verify against. */
  async verifyOrDummy(storedHash: string | null | undefined, password: string): Promise<boolean> {
    if (storedHash) return this.verify(storedHash, password);
    this.dummyHash ??= this.hash('portcullis-dummy-password');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  /** True when a hash was made with other parameters than today's, so it should be redone at the next login. */
  needsRehash(storedHash: string): boolean {
    try {
      const o = parseOptions(storedHash);
      return (
        (o.algorithm as number) !== this.params.algorithm ||
        o.memoryCost !== this.params.memoryCost ||
        o.timeCost !== this.params.timeCost ||
        o.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }
}
