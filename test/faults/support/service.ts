import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const MAIN = join(import.meta.dirname, '../../../dist/src/main.js');

/** The built service (`npm run build`), as `npm start` runs it; the fault tests need it. */
export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run test:faults does)`);
}

/**
 * `node dist/src/main.js` as a child process, as in production: real signals, real exits.
 * Output is kept for assertions and for the failure message.
 */
export class Service {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  static spawn(env: Record<string, string>): Service {
    assertBuilt();
    const child = spawn(process.execPath, [MAIN], {
      // Warnings and errors are logged (JSON lines on stdout), so a test can look for errors.
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Service(child);
  }

  /** Starts it and waits for "Portcullis listening on URL". */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<{ service: Service; url: string }> {
    const service = Service.spawn(env);
    const url = await service.listening(timeoutMs);
    return { service, url };
  }

  async listening(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /Portcullis listening on (http:\/\/\S+)/.exec(this.stdout);
      if (m) return m[1]!;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the service exited: ${this.output()}`);
      if (Date.now() > deadline) throw new Error(`the service did not start: ${this.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Ends it if it still runs (SIGKILL, this child only). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  output(): string {
    return `\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }
}
