import { describe, expect, it } from 'vitest';
import { credentialOf, passkeyFromRegistration, passkeyName, transportsOf } from './passkey-mapping.js';

const publicKey = new Uint8Array([0xa5, 1, 2, 3, 0x26, 0x20, 1, 0xff]);

describe('passkey mapping', () => {
  it('stores a verified registration as base64url text and gives it back as the credential the library verifies with', () => {
    const row = passkeyFromRegistration(
      { credential: { id: 'cred-Id_1', publicKey, counter: 7, transports: ['usb'] }, credentialDeviceType: 'multiDevice', credentialBackedUp: true },
      ['internal', 'hybrid'],
    );
    expect(row).toEqual({ credentialId: 'cred-Id_1', publicKey: Buffer.from(publicKey).toString('base64url'), counter: 7, transports: 'internal,hybrid', deviceType: 'multiDevice', backedUp: true });
    const cred = credentialOf(row);
    expect(cred.id).toBe('cred-Id_1');
    expect(cred.publicKey).toBeInstanceOf(Uint8Array);
    expect([...cred.publicKey]).toEqual([...publicKey]);
    expect(cred.counter).toBe(7);
    expect(cred.transports).toEqual(['internal', 'hybrid']);
  });

  it('keeps only known transports, once each, and falls back to the credential\'s own', () => {
    const info = { credential: { id: 'x', publicKey, counter: 0, transports: ['nfc'] }, credentialDeviceType: 'singleDevice' as const, credentialBackedUp: false };
    expect(passkeyFromRegistration(info, ['usb', 'usb', 'carrier-pigeon', 'ble']).transports).toBe('usb,ble');
    expect(passkeyFromRegistration(info, undefined).transports).toBe('nfc');
    expect(transportsOf({ transports: '' })).toEqual([]);
    expect(transportsOf({ transports: 'usb,bogus' })).toEqual(['usb']);
  });

  it('takes a name of 1 to 64 characters, trimmed, without control characters', () => {
    expect(passkeyName('  Work laptop ')).toBe('Work laptop');
    expect(passkeyName('🔑'.repeat(64))).toBe('🔑'.repeat(64));
    for (const bad of ['', '   ', 'a'.repeat(65), 'tab\there', 'nl\nx', 42, null, undefined]) expect(passkeyName(bad)).toBeNull();
  });
});
