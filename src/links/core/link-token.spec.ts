import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/secrets.js';
import { LinkSigner } from '../link-signer.js';
import { canonicalLinkString, formatLinkToken, linkCovers, parseLinkToken, type SignedFields } from './link-token.js';

const fields: SignedFields = {
  id: randomUUID(),
  method: 'GET',
  target: 'file',
  path: '/docs/report.pdf',
  expiry: 1_900_000_000,
  allowedRanges: ['10.0.0.0/8'],
  maxUses: 3,
  maxUploadBytes: null,
};

describe('signed link tokens', () => {
  const signer = new LinkSigner(new KeyRing(randomBytes(32)));
  const mac = signer.sign('l1', fields);
  const token = formatLinkToken('l1', fields.id, fields.expiry, mac);

  it('parses what it formats, and nothing of another form', () => {
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseLinkToken(token)).toEqual({ kid: 'l1', id: fields.id, expiry: fields.expiry, mac });
    for (const bad of [token.slice(0, -1), `${token}=`, `${token}A`, token.replace('l1.', 'L1.'), token.replace(`.${fields.expiry}.`, '.0.'), token.replace(`.${fields.expiry}.`, '.01.'), `.${token}`, '', 'l1..1.', 42, undefined, token.replace(fields.id, fields.id.toUpperCase())]) {
      expect(parseLinkToken(bad), String(bad)).toBeNull();
    }
  });

  it('covers every constraint: changing any field changes the canonical string and fails the MAC', () => {
    expect(signer.verify('l1', fields, mac)).toBe(true);
    const changes: Partial<SignedFields>[] = [
      { id: randomUUID() },
      { method: 'PUT' },
      { target: 'prefix' },
      { path: '/docs/report.PDF' },
      { expiry: fields.expiry + 1 },
      { allowedRanges: null },
      { allowedRanges: ['10.0.0.0/9'] },
      { maxUses: null },
      { maxUses: 4 },
      { maxUploadBytes: 1 },
    ];
    for (const change of changes) {
      const other = { ...fields, ...change };
      expect(canonicalLinkString(other), JSON.stringify(change)).not.toBe(canonicalLinkString(fields));
      expect(signer.verify('l1', other, mac), JSON.stringify(change)).toBe(false);
    }
  });

  it('signs under each key id with its own key, and under another SECRET_KEY differently', () => {
    expect(signer.sign('l2', fields)).not.toBe(mac);
    expect(signer.verify('l2', fields, mac)).toBe(false);
    expect(new LinkSigner(new KeyRing(randomBytes(32))).verify('l1', fields, mac)).toBe(false);
    expect(signer.knows('l1')).toBe(true);
    expect(signer.knows('l0')).toBe(false);
  });

  it('keeps the canonical string stable (a change would void every link issued)', () => {
    expect(canonicalLinkString({ ...fields, id: '00000000-0000-4000-8000-000000000000' })).toBe(
      'portcullis-signed-link-v1\n00000000-0000-4000-8000-000000000000\nGET\nfile\n/docs/report.pdf\n1900000000\n10.0.0.0/8\n3\n-',
    );
  });

  it('a file link covers its path only; a prefix link only what lies strictly below it', () => {
    expect(linkCovers({ target: 'file', path: '/a/b' }, '/a/b')).toBe(true);
    expect(linkCovers({ target: 'file', path: '/a/b' }, '/a/b/c')).toBe(false);
    expect(linkCovers({ target: 'prefix', path: '/in' }, '/in/x')).toBe(true);
    expect(linkCovers({ target: 'prefix', path: '/in' }, '/in')).toBe(false);
    expect(linkCovers({ target: 'prefix', path: '/in' }, '/inbox/x')).toBe(false);
    expect(linkCovers({ target: 'prefix', path: '' }, '/x')).toBe(true);
  });
});
