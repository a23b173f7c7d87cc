import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { AclRule } from './acl-rule.entity.js';
import type { AclRule as Rule } from './core/acl-resolver.js';

/** What AclService reads: a port, so the decision logic is tested without a database. */
export abstract class AclRuleStore {
  /** A sublogin's rules, in the order the customer wrote them. */
  abstract rulesOf(subloginId: string): Promise<Rule[]>;
  /** A customer's sublogin by name, or null. */
  abstract findSublogin(accountId: string, name: string): Promise<{ id: string; login: string } | null>;
}

@Injectable()
export class TypeOrmAclRuleStore extends AclRuleStore {
  constructor(
    @InjectRepository(AclRule) private readonly rules: Repository<AclRule>,
    private readonly sublogins: SubloginLookup,
  ) {
    super();
  }

  async rulesOf(subloginId: string): Promise<Rule[]> {
    const rows = await this.rules.find({ where: { subloginId }, order: { position: 'ASC' }, select: { path: true, effect: true } });
    return rows.map((r) => ({ path: r.path, effect: r.effect }));
  }

  findSublogin(accountId: string, name: string): Promise<{ id: string; login: string } | null> {
    return this.sublogins.findByName(accountId, name);
  }
}
