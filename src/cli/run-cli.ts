import { Command, CommanderError } from 'commander';
import { accountsCommand } from './accounts.command.js';
import { appsCommand } from './apps.command.js';
import { auditCommand } from './audit.command.js';
import { checkConfigCommand } from './check-config.command.js';
import type { CliBase } from './cli-command.js';
import { asCliError, CliError, type CliIo, EXIT, type ExitCode } from './cli-context.js';
import { migrateCommand } from './migrate.command.js';
import { subloginsCommand } from './sublogins.command.js';

export { EXIT, type CliIo, type ExitCode } from './cli-context.js';

const EXIT_CODES_HELP = `
Configured by the same environment variables as the service (DATABASE_URL, REDIS_URL, SECRET_KEY…).
Changes are made through the service's own code and audited as the admin API's, with the actor cli:<OS user>.

Exit codes:
  0  ok
  1  failed or refused (not found, conflict, import rows refused: nothing imported)
  2  usage error (unknown command or option, missing or invalid argument)
  3  configuration invalid, database or Redis unreachable, or migrations pending
`;

/**
 * The operator CLI (`npx portcullis …`, bin `dist/src/cli/main.js`): parses `argv` (without
 * `node` and the script) and runs the command on the service's providers, against the database
 * (and Redis) that `env` configures. Returns the exit code; never calls process.exit, so tests
 * run it in-process.
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const base: CliBase = { env, io, exit: (code) => void (exitCode = code) };
  const json = argv.includes('--json');

  const program = new Command('portcullis')
    .description('Portcullis operator CLI: accounts, applications, sublogins, audit export, migrations, configuration check')
    .option('--json', 'print the result as one JSON document on standard output (an error as {"error": {code, message, exitCode}})')
    .addHelpText('after', EXIT_CODES_HELP);
  for (const command of [accountsCommand(base), appsCommand(base), subloginsCommand(base), auditCommand(base), migrateCommand(base), checkConfigCommand(base)]) {
    program.addCommand(command);
  }
  configure(program, io);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the help or the message already.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      if (json) io.out(`${JSON.stringify({ error: { code: 'usage', message: err.message.replace(/^error: /, ''), exitCode: EXIT.usage } })}\n`);
      return EXIT.usage;
    }
    const e = asCliError(err);
    if (e instanceof CliError) {
      if (json) io.out(`${JSON.stringify({ error: { code: e.code, message: e.message, exitCode: e.exitCode } })}\n`);
      else io.err(`portcullis: ${e.message}\n`);
      return e.exitCode;
    }
    io.err(`portcullis: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (json) io.out(`${JSON.stringify({ error: { code: 'internal_error', message: err instanceof Error ? err.message : String(err), exitCode: EXIT.failed } })}\n`);
    return EXIT.failed;
  }
}

/** The same settings on every command (addCommand does not pass them down): no process.exit, output to `io`, global options in each help. */
function configure(command: Command, io: CliIo): void {
  command
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)');
  for (const sub of command.commands) configure(sub, io);
}
