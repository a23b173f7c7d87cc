import type { Command } from 'commander';
import { AccountsService } from '../accounts/accounts.service.js';
import { SubloginDto } from '../sublogins/dto/sublogin.dto.js';
import { SubloginsService } from '../sublogins/sublogins.service.js';
import { type CliBase, group, runOf } from './cli-command.js';
import { CliError, emit, EXIT, withPaging, table, withServices } from './cli-context.js';

export function subloginsCommand(base: CliBase): Command {
  const sublogins = group('sublogins', 'A customer’s sublogins');
  withPaging(
    sublogins
      .command('list')
      .description('List an account’s sublogins by name, with their number of rules, expiry and allowed addresses (as the customer’s GET /api/sublogin/list)')
      .requiredOption('--account <login>', 'the customer’s login')
  )
    .action(async (o: { account: string; limit: number; offset: number }, command: Command) => {
      const run = runOf(base, command);
      await withServices(run, async (app) => {
        const account = await app.get(AccountsService).findByLogin(o.account);
        if (!account) throw new CliError(EXIT.failed, 'not_found', `no account ${o.account}`);
        const { items, total } = await app.get(SubloginsService).list(account.id, o.offset, o.limit);
        const page = { account: account.login, items: items.map(({ sublogin, ruleCount }) => ({ ...SubloginDto.of(sublogin), ruleCount })), total, offset: o.offset, limit: o.limit };
        emit(run, page, () =>
          [
            table(
              ['LOGIN', 'ENABLED', 'RULES', 'EXPIRES', 'FROM', 'LAST USED', 'CREATED'],
              page.items.map((s) => [
                s.login,
                s.enabled ? 'yes' : 'no',
                String(s.ruleCount),
                s.expiresAt ?? '-',
                s.allowedRanges?.join(',') ?? 'any',
                s.lastUsedAt ? `${s.lastUsedAt} ${s.lastUsedIp ?? ''}`.trim() : '-',
                s.createdAt,
              ]),
            ),
            `${page.items.length} of ${total} sublogin${total === 1 ? '' : 's'} of ${account.login}`,
          ].join('\n'),
        );
      });
    });
  return sublogins;
}
