import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { Account } from './account.entity.js';
import { Sublogin } from './sublogin.entity.js';

/** What the credential checks need of a sublogin (Basic, OTP, the OAuth login page). */
export interface SubloginCredential {
  id: string;
  login: string;
  name: string;
  passwordHash: string;
  /** Secret-box copy of the password: OTP recomputes its MAC with the plain password. */
  passwordBox: string | null;
  enabled: boolean;
}

/**
 * Reads sublogins for the layers that authenticate them, below auth, so that Basic
 * (`customer-name`), OTP and the OAuth login page inject it plainly. Changing sublogins is
 * SubloginsService's (src/sublogins/), above the ACL.
 */
@Injectable()
export class SubloginLookup {
  constructor(@InjectRepository(Sublogin) private readonly sublogins: Repository<Sublogin>) {}

  /**
   * The sublogin with login `customer-name` and its customer, or null. It does not check
   * `enabled` or the customer's status: the caller decides (and verifies a password either way,
   * so an unknown login takes as long as a wrong password).
   */
  async findForAuth(login: string): Promise<{ sublogin: Sublogin; customer: Account } | null> {
    if (login.length > 65 || !login.includes('-')) return null; // an account login, or not a login at all
    const sublogin = await this.sublogins.findOne({ where: { login }, relations: { account: true } });
    if (!sublogin?.account) return null;
    const { account: customer } = sublogin;
    delete sublogin.account;
    return { sublogin, customer };
  }

  /** A customer's sublogin by id, or null. */
  findOfAccount(accountId: string, id: string): Promise<Sublogin | null> {
    return this.sublogins.findOneBy({ id, accountId });
  }

  /** A customer's sublogin by name (what ACL paths and sublogin management name it by), or null. */
  findByName(accountId: string, name: string): Promise<{ id: string; login: string } | null> {
    return this.sublogins.findOne({ where: { accountId, name }, select: { id: true, login: true } });
  }

  /** Sublogin id → its login and name, for those of `ids` that are the customer's. */
  async namesOf(accountId: string, ids: readonly string[]): Promise<Map<string, { login: string; name: string }>> {
    if (ids.length === 0) return new Map();
    const found = await this.sublogins.find({ select: { id: true, login: true, name: true }, where: { accountId, id: In([...new Set(ids)]) } });
    return new Map(found.map((s) => [s.id, { login: s.login, name: s.name }]));
  }
}
