import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Account } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { constantTimeEqual, KeyRing, randomToken, sha256Hex } from '../crypto/secrets.js';
import { isSecondFactor, PENDING_SESSION_MS, type PendingStage, type SecondFactorKind, type SessionFactor } from '../two-factor/factors.js';
import type { RequestMeta } from './request-meta.js';
import { Session } from './session.entity.js';

export const SESSION_COOKIE = 'portcullis_session';
export const CSRF_COOKIE = 'portcullis_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FORM_FIELD = '_csrf';

/**
 * Server-side sessions. The cookie carries a random token and the database only its sha256,
 * so a database leak does not hand out live sessions. The CSRF token is an HMAC of the session
 * id (a signed double submit): a forged cookie pair cannot match it.
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeyRing,
  ) {}

  /**
   * A new session signed in with `factors` (contract §4.9). With `pending` it is limited to the
   * second-factor or enrolment routes and lives PENDING_SESSION_MS until completed; a session
   * whose factors include a second factor records when (`secondFactorAt`). A passkey that verified
   * its user is a complete sign-in by itself: `create(account, meta, { factors: ['passkey'] })`.
   */
  async create(
    account: Account,
    origin: Pick<RequestMeta, 'ip' | 'userAgent'>,
    options: { factors?: readonly SessionFactor[]; pending?: PendingStage | null } = {},
  ): Promise<{ token: string; session: Session; csrfToken: string }> {
    const token = randomToken(32);
    const now = Date.now();
    const factors = [...(options.factors ?? ['password'])];
    const pending = options.pending ?? null;
    const session = this.sessions.create({
      id: sha256Hex(token),
      accountId: account.id,
      createdAt: new Date(now),
      expiresAt: new Date(now + (pending ? PENDING_SESSION_MS : this.config.sessionTtlSeconds * 1000)),
      ip: origin.ip ?? null,
      userAgent: origin.userAgent?.slice(0, 256) ?? null,
      factors,
      secondFactorAt: factors.some(isSecondFactor) ? new Date(now) : null,
      pending,
    });
    await this.sessions.insert(session);
    // Opportunistic cleanup keeps the table small without a scheduler.
    void this.sessions.createQueryBuilder().delete().where('expires_at < :now', { now }).execute().catch(() => undefined);
    return { token, session, csrfToken: this.csrfToken(session.id) };
  }

  /**
   * A second factor was given in this session: a pending session becomes complete (and lives
   * SESSION_TTL from now), a complete one records the fresh second factor (sensitive actions).
   * The cookie stays the same. Returns the updated session, or null when it has ended.
   */
  async addSecondFactor(sessionId: string, factor: SecondFactorKind): Promise<Session | null> {
    const session = await this.sessions.findOneBy({ id: sessionId });
    if (!session || session.expiresAt.getTime() <= Date.now()) return null;
    const now = Date.now();
    const wasPending = session.pending !== null;
    session.factors = session.factors.includes(factor) ? session.factors : [...session.factors, factor];
    session.secondFactorAt = new Date(now);
    session.pending = null;
    if (wasPending) session.expiresAt = new Date(now + this.config.sessionTtlSeconds * 1000);
    await this.sessions.update({ id: sessionId }, { factors: session.factors, secondFactorAt: session.secondFactorAt, pending: null, expiresAt: session.expiresAt });
    return session;
  }

  /** The live session and its account for a cookie token, or null. */
  async resolve(token: string): Promise<{ session: Session; account: Account } | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const session = await this.sessions.findOneBy({ id: sha256Hex(token) });
    if (!session) return null;
    if (session.expiresAt.getTime() <= Date.now()) {
      await this.sessions.delete({ id: session.id });
      return null;
    }
    const account = await this.accounts.findById(session.accountId);
    return account ? { session, account } : null;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId });
  }

  async destroyAllOf(accountId: string): Promise<void> {
    await this.sessions.delete({ accountId });
  }

  csrfToken(sessionId: string): string {
    return this.keys.hmac('csrf', sessionId);
  }

  csrfValid(sessionId: string, presented: string | undefined): boolean {
    return typeof presented === 'string' && constantTimeEqual(presented, this.csrfToken(sessionId));
  }
}
