import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** The options a ceremony's JSON carries that an authenticator reads. */
interface CeremonyOptions {
  challenge: string;
  rp?: { id?: string };
  rpId?: string;
  user?: { id: string };
  allowCredentials?: { id: string }[];
}

/** What a test may bend on purpose: another origin, challenge or RP id than the page's. */
export interface Tampering {
  origin?: string;
  challenge?: string;
  rpId?: string;
  type?: string;
  userVerified?: boolean;
  /** Send this counter instead of the next one (a cloned authenticator). */
  counter?: number;
}

const b64url = (b: Uint8Array | Buffer) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

/**
 * A WebAuthn authenticator in software (ES256, attestation "none", discoverable), answering the
 * JSON options the service hands out with the JSON @simplewebauthn/server verifies — what a
 * browser and a platform authenticator would send, for the HTTP tests. The browser tests use
 * Chromium's own virtual authenticator instead.
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private counter = 0;
  private userHandle: string | null = null;

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
  ) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  /** navigator.credentials.create: a registration response for `options`. */
  register(options: CeremonyOptions, t: Tampering = {}): Record<string, unknown> {
    this.userHandle = options.user?.id ?? null;
    const clientDataJSON = this.clientData('webauthn.create', options, t);
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([this.authDataHead(options, t, 0x40, this.counter), Buffer.alloc(16), idLength, this.credentialId, Buffer.from(cose)]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
    };
  }

  /** navigator.credentials.get: an assertion for `options`, signed with the private key. */
  assert(options: CeremonyOptions, t: Tampering = {}): Record<string, unknown> {
    this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', options, t);
    const authData = this.authDataHead(options, t, 0, t.counter ?? this.counter);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.keys.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
    };
  }

  private clientData(type: string, options: CeremonyOptions, t: Tampering): Buffer {
    return Buffer.from(JSON.stringify({ type: t.type ?? type, challenge: t.challenge ?? options.challenge, origin: t.origin ?? this.origin, crossOrigin: false }));
  }

  /** rpIdHash, flags (user present, verified unless told otherwise, plus `extra`), counter. */
  private authDataHead(options: CeremonyOptions, t: Tampering, extra: number, counter: number): Buffer {
    const rpId = t.rpId ?? options.rp?.id ?? options.rpId ?? this.rpId;
    const flags = 0x01 | (t.userVerified === false ? 0 : 0x04) | extra;
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), c]);
  }
}
