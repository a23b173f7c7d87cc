import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source-options.js';
import { describeTarget } from '../database/wait-for-database.js';
import { SCHEMA } from '../schema.js';
import type { CliBase } from './cli-command.js';
import { runOf } from './cli-command.js';
import { CliError, configOf, emit, EXIT, oneLine, pendingMigrations, reachDatabase } from './cli-context.js';

export function migrateCommand(base: CliBase): Command {
  return new Command('migrate')
    .description('Apply the pending database migrations (each in its own transaction; concurrent runs on PostgreSQL are serialised), as the service does at start')
    .option('--check', 'only list the pending migrations: exit 0 when there are none, 1 when some are pending')
    .action(async (o: { check?: boolean }, command: Command) => {
      const run = runOf(base, command);
      const config = configOf(run.env);
      await reachDatabase(config);
      const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, SCHEMA));
      try {
        await dataSource.initialize();
      } catch (err) {
        throw new CliError(EXIT.unavailable, 'database_unreachable', `cannot open the database at ${describeTarget(config.databaseUrl)}: ${oneLine(err)}`);
      }
      try {
        const target = describeTarget(config.databaseUrl);
        if (o.check) {
          const pending = await pendingMigrations(dataSource);
          emit(run, { database: target, pending }, () => (pending.length ? `${pending.length} pending on ${target}:\n${pending.map((p) => `  ${p}`).join('\n')}` : `${target}: up to date`));
          if (pending.length) base.exit(EXIT.failed);
          return;
        }
        let applied: string[];
        try {
          applied = (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
        } catch (err) {
          throw new CliError(EXIT.failed, 'migration_failed', `a migration failed on ${target} (the ones before it stay applied): ${oneLine(err)}`);
        }
        emit(run, { database: target, applied }, () => (applied.length ? `applied ${applied.length} migration${applied.length > 1 ? 's' : ''} to ${target}:\n${applied.map((a) => `  ${a}`).join('\n')}` : `${target}: up to date, nothing to apply`));
      } finally {
        await dataSource.destroy();
      }
    });
}
