import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { constantTimeEqual, KeyRing } from '../../crypto/secrets.js';
import { SharedState } from '../../shared-state/shared-state.js';

/** What a challenge was issued for; one purpose's challenge is refused by another's ceremony. */
export type ChallengePurpose = 'register' | 'second-factor' | 'sign-in';

/** How long a challenge is accepted after it was issued. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

const NONCE_BYTES = 16;
const EXPIRY_BYTES = 6; // epoch ms, big-endian: enough until the year 10889
const MAC_BYTES = 16;

/**
 * WebAuthn challenges that need no per-challenge memory on any instance until they are used: a
 * challenge is `nonce ‖ expiry ‖ HMAC(purpose, binding, nonce, expiry)` under a key derived from
 * SECRET_KEY, so only this service can have issued it, for this purpose and this session or
 * sign-in attempt (`binding`), and only until it expires. Single use is the OTP replay pattern:
 * the first `claim` of a nonce in the shared state wins, on every instance.
 */
@Injectable()
export class WebAuthnChallenges {
  constructor(
    private readonly keys: KeyRing,
    private readonly state: SharedState,
  ) {}

  /** A fresh challenge, as the bytes the authenticator signs. */
  issue(purpose: ChallengePurpose, binding: string, now = Date.now()): Uint8Array<ArrayBuffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const expiry = Buffer.alloc(EXPIRY_BYTES);
    expiry.writeUIntBE(now + CHALLENGE_TTL_MS, 0, EXPIRY_BYTES);
    const mac = this.mac(purpose, binding, nonce, expiry);
    const out = new Uint8Array(NONCE_BYTES + EXPIRY_BYTES + MAC_BYTES);
    out.set(nonce, 0);
    out.set(expiry, NONCE_BYTES);
    out.set(mac, NONCE_BYTES + EXPIRY_BYTES);
    return out;
  }

  /**
   * Whether `challenge` (base64url, as in the client data) was issued by this service for this
   * purpose and binding and has not expired. Says nothing of use: `claim` decides that.
   */
  valid(challenge: string, purpose: ChallengePurpose, binding: string, now = Date.now()): boolean {
    const parts = parse(challenge);
    if (!parts) return false;
    const expected = this.mac(purpose, binding, parts.nonce, parts.expiry);
    if (!constantTimeEqual(expected.toString('base64url'), parts.mac.toString('base64url'))) return false;
    return parts.expiry.readUIntBE(0, EXPIRY_BYTES) > now;
  }

  /** Marks a valid challenge used; true for the one call (on any instance) that does so first. */
  async claim(challenge: string, now = Date.now()): Promise<boolean> {
    const parts = parse(challenge);
    if (!parts) return false;
    const ttl = parts.expiry.readUIntBE(0, EXPIRY_BYTES) - now;
    if (ttl <= 0) return false;
    return this.state.setIfAbsent(`webauthn:challenge:${parts.nonce.toString('base64url')}`, ttl + 1000);
  }

  private mac(purpose: ChallengePurpose, binding: string, nonce: Buffer, expiry: Buffer): Buffer {
    const hex = this.keys.hmac('webauthn-challenge', `${purpose}\n${binding}\n${nonce.toString('base64url')}\n${expiry.toString('hex')}`);
    return Buffer.from(hex, 'hex').subarray(0, MAC_BYTES);
  }
}

function parse(challenge: string): { nonce: Buffer; expiry: Buffer; mac: Buffer } | null {
  if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(challenge)) return null;
  const raw = Buffer.from(challenge, 'base64url');
  if (raw.length !== NONCE_BYTES + EXPIRY_BYTES + MAC_BYTES) return null;
  return {
    nonce: raw.subarray(0, NONCE_BYTES),
    expiry: raw.subarray(NONCE_BYTES, NONCE_BYTES + EXPIRY_BYTES),
    mac: raw.subarray(NONCE_BYTES + EXPIRY_BYTES),
  };
}
