import { Injectable } from '@nestjs/common';
import { constantTimeEqual, KeyRing } from '../crypto/secrets.js';
import { canonicalLinkString, type SignedFields } from './core/link-token.js';

/**
 * The signing keys of links, by key id. Each key is derived from SECRET_KEY with its id (HKDF, the
 * KeyRing's `hmac:signed-link:<kid>` purpose), so no key is stored anywhere. Rotation: add a new id
 * at the front (new links are signed with it), keep the old one listed until its last link has
 * expired (at most OTP_MAX_TTL), then remove it — links signed with a removed id are refused.
 * Changing SECRET_KEY invalidates every link at once.
 */
export const LINK_KEY_IDS: readonly string[] = ['l1'];

@Injectable()
export class LinkSigner {
  constructor(private readonly keys: KeyRing) {}

  get currentKeyId(): string {
    return LINK_KEY_IDS[0]!;
  }

  knows(kid: string): boolean {
    return LINK_KEY_IDS.includes(kid);
  }

  /** base64url HMAC-SHA256 of the link's canonical string under key `kid`. */
  sign(kid: string, fields: SignedFields): string {
    return Buffer.from(this.keys.hmac(`signed-link:${kid}`, canonicalLinkString(fields)), 'hex').toString('base64url');
  }

  /** Constant-time: whether `mac` is the signature of `fields` under `kid`. */
  verify(kid: string, fields: SignedFields, mac: string): boolean {
    return constantTimeEqual(this.sign(kid, fields), mac);
  }
}
