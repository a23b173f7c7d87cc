import type { VerifiedRegistrationResponse, WebAuthnCredential } from '@simplewebauthn/server';
import type { Passkey, PasskeyDeviceType } from './passkey.entity.js';

type RegistrationInfo = NonNullable<Extract<VerifiedRegistrationResponse, { verified: true }>['registrationInfo']>;

const TRANSPORTS: ReadonlySet<string> = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** The columns of a new passkey from a verified registration (the browser's transports kept if known). */
export function passkeyFromRegistration(
  info: Pick<RegistrationInfo, 'credential' | 'credentialDeviceType' | 'credentialBackedUp'>,
  transports: readonly string[] | undefined,
): Pick<Passkey, 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'deviceType' | 'backedUp'> {
  const known = [...new Set((transports ?? info.credential.transports ?? []).filter((t) => TRANSPORTS.has(t)))];
  return {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: known.join(','),
    deviceType: info.credentialDeviceType as PasskeyDeviceType,
    backedUp: info.credentialBackedUp,
  };
}

/** A stored passkey as @simplewebauthn/server verifies an assertion against it. */
export function credentialOf(p: Pick<Passkey, 'credentialId' | 'publicKey' | 'counter' | 'transports'>): WebAuthnCredential {
  return {
    id: p.credentialId,
    publicKey: new Uint8Array(Buffer.from(p.publicKey, 'base64url')),
    counter: p.counter,
    transports: transportsOf(p),
  };
}

/** The transports to hint in `allowCredentials` / `excludeCredentials`. */
export function transportsOf(p: Pick<Passkey, 'transports'>): string[] {
  return p.transports ? p.transports.split(',').filter((t) => TRANSPORTS.has(t)) : [];
}

/** A passkey's name as the owner typed it: trimmed, 1–64 characters, no control characters; null if not acceptable. */
export function passkeyName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const name = raw.normalize('NFC').trim();
  // eslint-disable-next-line no-control-regex
  if (name.length < 1 || [...name].length > 64 || /[\u0000-\u001f\u007f]/.test(name)) return null;
  return name;
}
