import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Command } from 'commander';
import type { Account } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { generateAppPassword, initialAppConnectionState } from '../accounts/core/app-connection.js';
import { AccountDto, CreateAccountDto } from '../admin/dto/account.dto.js';
import { AuditService } from '../audit/audit.service.js';
import { type CliBase, group, runOf } from './cli-command.js';
import { CliError, type CliRun, cliActor, emit, EXIT, withPaging, isUuid, table, usageError, warnIfNotBroadcast, withServices } from './cli-context.js';
import { checkRows, formatOf, ImportFileError, parseImportFile, type RawRow } from './core/import-rows.js';

export function accountsCommand(base: CliBase): Command {
  const accounts = group('accounts', 'Customer and operator accounts: create, list, suspend, resume, import');

  accounts
    .command('create')
    .description('Create an account (as POST /api/admin/accounts). The password is read from standard input with --password-stdin; otherwise a random one is generated and printed once.')
    .argument('<login>', 'login, ^[a-z0-9][a-z0-9_.]{2,31}$')
    .requiredOption('--email <email>', 'e-mail address')
    .option('--role <role>', 'user or admin', 'user')
    .option('--registered-at <date>', 'ISO 8601: when the customer registered (an import); before LEGACY_BASIC_CUTOFF the account keeps Basic with its login password')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .addHelpText('after', '\nExample:\n  printf %s "$PASSWORD" | portcullis accounts create alice --email alice@example.com --password-stdin')
    .action(async (login: string, o: { email: string; role: string; registeredAt?: string; passwordStdin?: boolean }, command: Command) => {
      const run = runOf(base, command);
      const generated = o.passwordStdin ? undefined : generateAppPassword();
      const password = generated ?? (await run.io.readStdin()).split(/\r?\n/)[0]!;
      const dto = plainToInstance(CreateAccountDto, { login, email: o.email, role: o.role, registeredAt: o.registeredAt, password });
      const problems = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));
      if (problems.length) throw usageError(problems.join('; '));
      await withServices(run, async (app) => {
        const account = await app.get(AccountsService).create({ ...dto, registeredAt: dto.registeredAt ? new Date(dto.registeredAt) : undefined });
        recordCreate(app, run, account);
        const result = { ...AccountDto.of(account), ...(generated ? { password: generated } : {}) };
        emit(run, result, () => [describeAccount(result), ...(generated ? [`password: ${generated}`, '(shown once: it is stored only as a hash)'] : [])].join('\n'));
      });
    });

  withPaging(
    accounts
      .command('list')
      .description('List accounts by login (as GET /api/admin/accounts)')
      .option('--status <status>', 'active or suspended')
  )
    .action(async (o: { status?: string; limit: number; offset: number }, command: Command) => {
      const run = runOf(base, command);
      if (o.status !== undefined && o.status !== 'active' && o.status !== 'suspended') throw usageError(`--status must be active or suspended (got "${o.status}")`);
      await withServices(run, async (app) => {
        const { items, total } = await app.get(AccountsService).list(o.offset, o.limit, o.status as 'active' | 'suspended' | undefined);
        const page = { items: items.map(AccountDto.of), total, offset: o.offset, limit: o.limit };
        emit(run, page, () =>
          [
            table(
              ['LOGIN', 'ROLE', 'STATUS', 'EMAIL', 'REGISTERED', 'ID'],
              page.items.map((a) => [a.login, a.role, a.status, a.email, a.registeredAt, a.id]),
            ),
            `${page.items.length} of ${total} account${total === 1 ? '' : 's'}${o.offset ? ` from ${o.offset}` : ''}`,
          ].join('\n'),
        );
      });
    });

  for (const [name, status, verb] of [
    ['suspend', 'suspended', 'Suspend: the account and its sublogins authenticate nowhere (as POST /api/admin/accounts/{id}/suspend)'],
    ['resume', 'active', 'Resume a suspended account (as POST /api/admin/accounts/{id}/unsuspend)'],
  ] as const) {
    accounts
      .command(name)
      .description(verb)
      .argument('<login>', 'the account’s login (or its id)')
      .action(async (login: string, _o: unknown, command: Command) => {
        const run = runOf(base, command);
        await withServices(run, async (app, config) => {
          const service = app.get(AccountsService);
          const found = await findAccount(service, login);
          const account = await service.setStatus(found.id, status);
          app.get(AuditService).record({ type: `admin.account.${status === 'active' ? 'unsuspend' : 'suspend'}`, outcome: 'info', login: account.login, accountId: account.id, actor: cliActor(run.io, run.env) });
          if (status === 'suspended') warnIfNotBroadcast(run, config, 'Basic credentials, sessions and keys of the account');
          emit(run, AccountDto.of(account), () => describeAccount(AccountDto.of(account)));
        });
      });
  }

  accounts
    .command('import')
    .description(
      'Import legacy accounts from a CSV file (with a header line) or JSON lines. Fields: login, email, registeredAt (ISO 8601), and password (plain: hashed on import) or passwordHash (an argon2id PHC string or a bcrypt hash up to cost 14, stored as it is and replaced by argon2id at the first sign-in; other hashes are refused). Every row is checked first, and the accounts are created in one transaction: if any row is refused, nothing is imported (exit 1) unless --skip-invalid is given, which imports the valid rows and reports the others (exit 0).',
    )
    .argument('<file>', 'the file to import (.csv, .jsonl or .ndjson, or name the format with --format)')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--skip-invalid', 'import the valid rows even if some are refused')
    .option('--dry-run', 'check every row and report, import nothing')
    .addHelpText(
      'after',
      '\nExample (CSV):\n  login,email,registeredAt,password,passwordHash\n  alice,alice@example.com,2019-04-01T09:00:00Z,alice-password,\n  bob,bob@example.com,2020-02-02T10:00:00Z,,"$argon2id$v=19$m=19456,t=2,p=1$…$…"\n(a PHC hash holds commas: quote it)\n\n  portcullis accounts import legacy.csv --dry-run && portcullis accounts import legacy.csv',
    )
    .action(async (file: string, o: { format?: string; skipInvalid?: boolean; dryRun?: boolean }, command: Command) => {
      const run = runOf(base, command);
      const format = formatOf(file, o.format);
      if (!format) throw usageError(o.format ? `--format must be csv or jsonl (got "${o.format}")` : `cannot tell the format of ${file} from its name: give --format csv or --format jsonl`);
      const path = resolve(run.io.cwd, file);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw new CliError(EXIT.failed, 'file_unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      let rows: RawRow[];
      try {
        rows = parseImportFile(text, format);
      } catch (err) {
        if (err instanceof ImportFileError) throw new CliError(EXIT.failed, 'import_file_invalid', `${file}: ${err.message}; nothing was imported`);
        throw err;
      }
      await withServices(run, async (app, config) => {
        const service = app.get(AccountsService);
        const logins = [...new Set(rows.flatMap((r) => (r.fields.login ? [r.fields.login] : [])))];
        const { valid, refused } = await checkRows(rows, new Set(await service.takenLogins(logins)), new Date());
        const proceed = !o.dryRun && valid.length > 0 && (refused.length === 0 || o.skipInvalid === true);
        const created = proceed ? await service.createMany(valid.map((v) => v.account)) : [];
        const actor = cliActor(run.io, run.env);
        for (const { account } of created) recordCreate(app, run, account, actor);
        const idOf = new Map(created.map((c) => [c.account.login, c.account.id]));
        const outcome = o.dryRun ? 'dry-run' : proceed || refused.length === 0 ? 'imported' : 'nothing-imported';
        const report = {
          file,
          format,
          outcome,
          importedCount: created.length,
          refusedCount: refused.length,
          accounts: valid.map((v) => {
            const appConnection = initialAppConnectionState(v.account.registeredAt, config.legacyBasicCutoff);
            return {
              line: v.line,
              login: v.account.login,
              id: idOf.get(v.account.login) ?? null,
              registeredAt: v.account.registeredAt.toISOString(),
              password: v.password,
              appConnection,
              ...(appConnection === 'legacy' && v.password !== 'plain' ? { note: LEGACY_FROM_HASH } : {}),
            };
          }),
          refused,
        };
        emit(run, report, () => importText(report, o));
        base.exit(refused.length && (o.dryRun || !o.skipInvalid) ? EXIT.failed : EXIT.ok);
      });
    });

  return accounts;
}

const LEGACY_FROM_HASH = 'legacy account imported from a hash: Basic and sign-in take its login password; OTP with it works after its first successful Basic or sign-in, which keeps the secret-box copy OTP needs (and replaces a bcrypt or older hash by argon2id)';

function importText(
  r: { file: string; outcome: string; importedCount: number; accounts: { line: number; login: string; password: string; appConnection: string; note?: string }[]; refused: { line: number; login: string | null; reasons: string[] }[] },
  o: { skipInvalid?: boolean; dryRun?: boolean },
): string {
  const lines: string[] = [];
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  if (r.accounts.length) {
    lines.push(r.outcome === 'imported' ? `Imported ${rows(r.importedCount)} from ${r.file}:` : `Valid: ${rows(r.accounts.length)}${r.outcome === 'dry-run' ? ' (dry run: nothing imported)' : ''}:`);
    lines.push(table(['LINE', 'LOGIN', 'PASSWORD', 'APP CONNECTION'], r.accounts.map((a) => [String(a.line), a.login, a.password, a.appConnection])).replace(/^/gm, '  '));
    const notes = r.accounts.filter((a) => a.note);
    if (notes.length) lines.push(`  note (${notes.map((a) => a.login).join(', ')}): ${LEGACY_FROM_HASH}`);
  }
  if (r.refused.length) {
    lines.push(`Refused: ${rows(r.refused.length)}:`);
    for (const f of r.refused) lines.push(`  line ${f.line}${f.login ? ` (${f.login})` : ''}: ${f.reasons.join('; ')}`);
  }
  if (r.outcome === 'nothing-imported') lines.push(`Nothing was imported: ${rows(r.refused.length)} refused. Correct them, or import the valid rows with --skip-invalid.`);
  else if (r.outcome === 'imported' && !r.accounts.length) lines.push(`Nothing to import from ${r.file}.`);
  else if (r.outcome === 'imported' && o.skipInvalid && r.refused.length) lines.push(`The refused rows were skipped (--skip-invalid).`);
  return lines.join('\n');
}

/** The same audit record as POST /api/admin/accounts, with the CLI's actor. */
function recordCreate(app: INestApplicationContext, run: CliRun, account: Account, actor = cliActor(run.io, run.env)): void {
  app.get(AuditService).record({ type: 'admin.account.create', outcome: 'info', login: account.login, accountId: account.id, actor, detail: { role: account.role, registeredAt: account.registeredAt.toISOString() } });
}

async function findAccount(service: AccountsService, loginOrId: string): Promise<Account> {
  const account = isUuid(loginOrId) ? await service.get(loginOrId).catch(() => null) : await service.findByLogin(loginOrId);
  if (!account) throw new CliError(EXIT.failed, 'not_found', `no account ${loginOrId}`);
  return account;
}

function describeAccount(a: AccountDto): string {
  return table(['LOGIN', 'ROLE', 'STATUS', 'EMAIL', 'REGISTERED', 'ID'], [[a.login, a.role, a.status, a.email, a.registeredAt, a.id]]);
}
