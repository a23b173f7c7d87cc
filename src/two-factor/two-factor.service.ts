import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import QRCode from 'qrcode';
import { type DataSource, IsNull, type Repository } from 'typeorm';
import type { Account } from '../accounts/account.entity.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { OtpReplayStore } from '../replay/otp-replay.store.js';
import { mustHaveSecondFactor } from './core/policy.js';
import { newRecoveryCodes, newTotpSecret, normalizeRecoveryCode, recoveryCodeHash, totpReplayKey, totpTimeStep, totpUri, totpValidUntil } from './core/totp.js';
import type { SecondFactorKind } from './factors.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { PASSKEY_COUNT, type PasskeyCount, SecondFactors } from './second-factors.js';
import { TotpEnrolment } from './totp-enrolment.entity.js';

export interface TotpSetup {
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  uri: string;
  /** The QR code of `uri`, an SVG drawn here (no outside service sees the secret). */
  qrSvg: string;
}

export interface TwoFactorStatus {
  totp: 'none' | 'pending' | 'confirmed';
  totpConfirmedAt: Date | null;
  recoveryCodesLeft: number;
  passkeys: number;
  /** Whether the account has a second factor now. */
  enabled: boolean;
  /** Whether the policy requires one of this account (REQUIRE_2FA, REQUIRE_ADMIN_2FA). */
  required: boolean;
}

export interface SecondFactorAdded {
  /** A legacy account's new app password (its connection was reissued), shown once. */
  appPassword?: string;
}

type Who = Pick<Account, 'id' | 'login' | 'role'>;

/**
 * TOTP enrolment and use, recovery codes, and what turning a second factor on does to the legacy
 * app connection (contract §4.9). Below auth: throttling and sessions are the caller's
 * (src/auth/second-factor.service.ts).
 */
@Injectable()
export class TwoFactorService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(TotpEnrolment) private readonly totp: Repository<TotpEnrolment>,
    @InjectRepository(RecoveryCode) private readonly recovery: Repository<RecoveryCode>,
    @Inject(PASSKEY_COUNT) private readonly passkeys: PasskeyCount,
    private readonly factors: SecondFactors,
    private readonly keys: KeyRing,
    private readonly replay: OtpReplayStore,
    private readonly connections: AppConnectionService,
    private readonly audit: AuditService,
  ) {}

  required(account: Pick<Account, 'role'>): boolean {
    return mustHaveSecondFactor(account.role, this.config);
  }

  async status(account: Who): Promise<TwoFactorStatus> {
    const [row, recoveryCodesLeft, passkeys] = await Promise.all([this.totp.findOneBy({ accountId: account.id }), this.factors.recoveryCodesLeft(account.id), this.passkeys.countFor(account.id)]);
    const totp = !row ? 'none' : row.confirmedAt ? 'confirmed' : 'pending';
    return { totp, totpConfirmedAt: row?.confirmedAt ?? null, recoveryCodesLeft, passkeys, enabled: totp === 'confirmed' || passkeys > 0, required: this.required(account) };
  }

  /** A new pending authenticator (replacing a pending one); refused while one is confirmed. */
  async beginTotp(account: Who, origin?: AuditOrigin): Promise<TotpSetup> {
    const existing = await this.totp.findOneBy({ accountId: account.id });
    if (existing?.confirmedAt) throw new DomainError('conflict', 'an authenticator is already set up; turn it off first');
    const secret = newTotpSecret();
    await this.totp.save(this.totp.create({ accountId: account.id, secretBox: this.keys.secretBox.seal(secret), createdAt: new Date(), confirmedAt: null, lastUsedAt: null }));
    this.audit.record({ type: 'two_factor.totp.enrol', outcome: 'success', login: account.login, accountId: account.id, origin });
    return this.setup(account, secret);
  }

  /** The pending authenticator's setup again (the page shown twice), or null. */
  async pendingTotp(account: Who): Promise<TotpSetup | null> {
    const row = await this.totp.findOneBy({ accountId: account.id });
    const secret = row && !row.confirmedAt ? this.keys.secretBox.open(row.secretBox) : null;
    return secret ? this.setup(account, secret) : null;
  }

  /**
   * Confirms the pending authenticator with a code from it: it becomes a second factor, ten new
   * recovery codes are made, and a legacy app connection is reissued (the login password stops
   * working for Basic and OTP). Null: wrong code (the caller counts the failure).
   */
  async confirmTotp(account: Account, code: string, origin?: AuditOrigin): Promise<({ recoveryCodes: string[] } & SecondFactorAdded) | null> {
    const row = await this.totp.findOneBy({ accountId: account.id });
    if (!row || row.confirmedAt) throw new DomainError('conflict', 'no authenticator waits for confirmation; start the set-up first');
    const secret = this.keys.secretBox.open(row.secretBox);
    if (!secret || !(await this.claimTotp(account.id, secret, code))) {
      this.audit.record({ type: 'two_factor.totp.confirm', outcome: 'failure', login: account.login, accountId: account.id, code: 'invalid_credentials', origin });
      return null;
    }
    const now = new Date();
    const updated = await this.totp.update({ accountId: account.id, confirmedAt: IsNull() }, { confirmedAt: now, lastUsedAt: now });
    if (!updated.affected) throw new DomainError('conflict', 'the authenticator was confirmed already');
    const recoveryCodes = await this.regenerateRecoveryCodes(account, origin);
    this.audit.record({ type: 'two_factor.totp.confirm', outcome: 'success', login: account.login, accountId: account.id, origin });
    return { recoveryCodes, ...(await this.secondFactorAdded(account, origin)) };
  }

  /**
   * A second factor was turned on (a confirmed authenticator, a first passkey): a `legacy` app
   * connection is reissued, since its login password would otherwise be a way in without the
   * second factor (Basic, OTP). The new app password is in the answer, once.
   */
  async secondFactorAdded(account: Account, origin?: AuditOrigin): Promise<SecondFactorAdded> {
    const connection = await this.connections.find(account.id);
    if (connection?.state !== 'legacy') return {};
    const change = await this.connections.apply(account, 'reissue');
    this.audit.record({ type: 'app_connection.reissue', outcome: 'success', login: account.login, accountId: account.id, detail: { reason: 'second_factor' }, origin });
    return { appPassword: change.password };
  }

  /**
   * A second factor presented at sign-in or to re-verify: a TOTP code (accepted once in its
   * window, across instances) or an unused recovery code (then used up). Null: neither.
   */
  async verifyCode(account: Who, code: string, origin?: AuditOrigin): Promise<Exclude<SecondFactorKind, 'passkey'> | null> {
    const digits = code.replace(/\s+/g, '');
    let kind: 'totp' | 'recovery' | null = null;
    if (/^\d{6}$/.test(digits)) {
      const row = await this.totp.findOneBy({ accountId: account.id });
      const secret = row?.confirmedAt ? this.keys.secretBox.open(row.secretBox) : null;
      if (secret && (await this.claimTotp(account.id, secret, digits))) {
        kind = 'totp';
        await this.totp.update({ accountId: account.id }, { lastUsedAt: new Date() });
      }
    } else {
      const normalized = normalizeRecoveryCode(code);
      if (normalized && (await this.factors.hasAny(account.id))) {
        // The conditional update is the claim: a code is used once, also by two requests at once.
        const used = await this.recovery.update({ accountId: account.id, codeHash: recoveryCodeHash(normalized), usedAt: IsNull() }, { usedAt: new Date() });
        if (used.affected) kind = 'recovery';
      }
    }
    this.audit.record({
      type: kind === 'recovery' ? 'two_factor.recovery.use' : 'two_factor.verify',
      outcome: kind ? 'success' : 'failure',
      login: account.login,
      accountId: account.id,
      code: kind ? null : 'invalid_credentials',
      detail: kind ? { factor: kind } : null,
      origin,
    });
    return kind;
  }

  /** Ten new recovery codes, replacing the old ones; shown once, stored as hashes. */
  async regenerateRecoveryCodes(account: Who, origin?: AuditOrigin): Promise<string[]> {
    const codes = newRecoveryCodes();
    const now = new Date();
    await this.dataSource.transaction(async (m) => {
      await m.delete(RecoveryCode, { accountId: account.id });
      await m.insert(
        RecoveryCode,
        codes.map((c) => ({ id: randomUUID(), accountId: account.id, codeHash: recoveryCodeHash(normalizeRecoveryCode(c)!), createdAt: now, usedAt: null })),
      );
    });
    this.audit.record({ type: 'two_factor.recovery.regenerate', outcome: 'success', login: account.login, accountId: account.id, origin });
    return codes;
  }

  /** Turns TOTP off; with no passkey left, the recovery codes go too. */
  async disableTotp(account: Who, origin?: AuditOrigin): Promise<void> {
    const removed = await this.totp.delete({ accountId: account.id });
    if ((await this.passkeys.countFor(account.id)) === 0) await this.recovery.delete({ accountId: account.id });
    this.audit.record({ type: 'two_factor.totp.remove', outcome: 'success', login: account.login, accountId: account.id, detail: { existed: !!removed.affected }, origin });
  }

  /** A code of the authenticator, claimed in the shared replay store: true once per time step. */
  private async claimTotp(accountId: string, secret: string, code: string): Promise<boolean> {
    const step = totpTimeStep(secret, code, Math.floor(Date.now() / 1000));
    if (step === null) return false;
    return this.replay.claim(totpReplayKey(accountId, step), totpValidUntil(step));
  }

  private async setup(account: Who, secret: string): Promise<TotpSetup> {
    const issuer = new URL(this.config.publicUrl).hostname === 'localhost' ? 'Portcullis' : `Portcullis (${new URL(this.config.publicUrl).hostname})`;
    const uri = totpUri(secret, issuer, account.login);
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, uri, qrSvg };
  }
}
