import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isISO8601 } from 'class-validator';
import type { Command } from 'commander';
import type { AuditEvent } from '../audit/audit-event.entity.js';
import { AuditService } from '../audit/audit.service.js';
import { type CliBase, group, runOf } from './cli-command.js';
import { CliError, emit, EXIT, usageError, withServices } from './cli-context.js';
import { csvLine } from './core/csv.js';

/** Columns of an export, in order: the admin API's AuditEventDto plus the account id. */
export const AUDIT_COLUMNS = ['id', 'at', 'type', 'outcome', 'login', 'accountId', 'actor', 'code', 'ip', 'userAgent', 'detail'] as const;
const PAGE = 1000;

export function auditCommand(base: CliBase): Command {
  const audit = group('audit', 'The audit log');
  audit
    .command('export')
    .description('Write audit events, oldest first, as JSON lines or CSV (CSV cells that a spreadsheet would read as a formula — starting with = + - @, a tab or a carriage return — get a leading apostrophe)')
    .option('--from <date>', 'ISO 8601: events at or after it')
    .option('--to <date>', 'ISO 8601: events at or before it')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--type <type>', 'only this event type, e.g. auth.login')
    .option('--login <login>', 'only events about this login')
    .option('--output <file>', 'write to this file (replaced) instead of standard output')
    .addHelpText('after', '\nExample:\n  portcullis audit export --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z --format csv --output january.csv')
    .action(async (o: { from?: string; to?: string; format: string; type?: string; login?: string; output?: string }, command: Command) => {
      const run = runOf(base, command);
      if (o.format !== 'jsonl' && o.format !== 'csv') throw usageError(`--format must be jsonl or csv (got "${o.format}")`);
      const from = dateOption('--from', o.from);
      const to = dateOption('--to', o.to);
      if (from && to && from > to) throw usageError('--from is after --to');
      const format = o.format;
      await withServices(run, async (app) => {
        const file = o.output ? await open(resolve(run.io.cwd, o.output), 'w').catch((err: NodeJS.ErrnoException) => {
          throw new CliError(EXIT.failed, 'file_unwritable', `cannot write ${o.output}: ${err.code ?? err.message}`);
        }) : undefined;
        const write = async (text: string) => (file ? void (await file.write(text)) : run.io.out(text));
        let count = 0;
        try {
          if (format === 'csv') await write(csvLine(AUDIT_COLUMNS));
          const service = app.get(AuditService);
          for (let afterId: number | undefined; ; ) {
            const events = await service.query({ from, to, type: o.type, login: o.login, order: 'asc', afterId, limit: PAGE });
            if (!events.length) break;
            const rows = events.map(exportRow);
            await write(rows.map((r) => (format === 'csv' ? csvLine(AUDIT_COLUMNS.map((c) => r[c])) : `${JSON.stringify(r)}\n`)).join(''));
            count += events.length;
            afterId = events.at(-1)!.id;
            if (events.length < PAGE) break;
          }
        } finally {
          await file?.close();
        }
        if (o.output) emit(run, { file: o.output, format, count }, () => `exported ${count} event${count === 1 ? '' : 's'} to ${o.output}`);
      });
    });
  return audit;
}

function exportRow(e: AuditEvent): Record<(typeof AUDIT_COLUMNS)[number], unknown> {
  return { id: e.id, at: e.at.toISOString(), type: e.type, outcome: e.outcome, login: e.login, accountId: e.accountId, actor: e.actor, code: e.code, ip: e.ip, userAgent: e.userAgent, detail: e.detail };
}

function dateOption(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const d = new Date(raw);
  if (!isISO8601(raw, { strict: true }) || Number.isNaN(d.getTime())) throw usageError(`${name} must be an ISO 8601 date or date-time (got "${raw}")`);
  return d;
}
