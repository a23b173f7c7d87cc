import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Passkey } from './passkey.entity.js';

/** How many passkeys one account may hold: enough for every device and a spare key or two. */
export const MAX_PASSKEYS_PER_ACCOUNT = 20;

/** The passkeys table. Other modules read it through this, never through the repository. */
@Injectable()
export class PasskeyStore {
  constructor(@InjectRepository(Passkey) private readonly passkeys: Repository<Passkey>) {}

  /** For `SecondFactors.hasAny`: whether (how many) passkeys make a second factor of the account. */
  countFor(accountId: string): Promise<number> {
    return this.passkeys.countBy({ accountId });
  }

  listFor(accountId: string): Promise<Passkey[]> {
    return this.passkeys.find({ where: { accountId }, order: { createdAt: 'ASC' } });
  }

  /** One passkey of the account, or null (another account's is null too). */
  findOf(accountId: string, id: string): Promise<Passkey | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(null);
    return this.passkeys.findOneBy({ accountId, id });
  }

  findByCredentialId(credentialId: string): Promise<Passkey | null> {
    if (!/^[A-Za-z0-9_-]{1,1400}$/.test(credentialId)) return Promise.resolve(null);
    return this.passkeys.findOneBy({ credentialId });
  }

  async add(accountId: string, fields: Pick<Passkey, 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'deviceType' | 'backedUp' | 'name'>): Promise<Passkey> {
    const row = this.passkeys.create({ id: randomUUID(), accountId, ...fields, createdAt: new Date(), lastUsedAt: null });
    await this.passkeys.insert(row);
    return row;
  }

  async rename(accountId: string, id: string, name: string): Promise<boolean> {
    const r = await this.passkeys.update({ accountId, id }, { name });
    return (r.affected ?? 0) > 0;
  }

  async remove(accountId: string, id: string): Promise<boolean> {
    const r = await this.passkeys.delete({ accountId, id });
    return (r.affected ?? 0) > 0;
  }

  /**
   * Records a use: the new counter and backup state. Conditional on the counter seen, so two
   * concurrent uses of one assertion cannot both move it (the challenge claim already refuses
   * the second; this keeps the counter monotonic regardless).
   */
  async recordUse(p: Passkey, counter: number, backedUp: boolean, at = new Date()): Promise<void> {
    await this.passkeys
      .createQueryBuilder()
      .update()
      .set({ counter: Math.max(counter, p.counter), backedUp, lastUsedAt: at })
      .where('id = :id', { id: p.id })
      .execute();
  }
}
