import { Command } from 'commander';
import type { CliIo, CliRun, ExitCode } from './cli-context.js';

/** What a command group is built with; `exit` lets a command that printed its own report set the exit code. */
export interface CliBase {
  env: CliRun['env'];
  io: CliIo;
  exit(code: ExitCode): void;
}

/** The run of one action: `--json` is a global option, read from the command that runs. */
export function runOf(base: CliBase, command: Command): CliRun {
  return { env: base.env, io: base.io, json: Boolean(command.optsWithGlobals<{ json?: boolean }>().json) };
}

/** A command group (`accounts`, `apps`…) whose bare name shows its help as a usage error. */
export function group(name: string, description: string): Command {
  return new Command(name).description(description);
}
