import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The main connection's own checkpoint threshold, in pages (SQLite's default is 1,000): only a
 * fallback, should the worker fall behind or be gone. A WAL file of that many pages is ~40 MiB.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// CommonJS, run with `eval`: the same text works from dist/ and from the TypeScript sources
// the tests run, where no compiled worker file exists. Errors are reported, never thrown.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
} catch (err) {
  parentPort.postMessage({ error: String(err) });
}
const timer = db && setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db?.close();
  parentPort.close();
});
`;

/**
 * Copies a SQLite database's write-ahead log back into the database file from a worker thread.
 *
 * Why: in WAL mode SQLite checkpoints inside whichever commit takes the log past its threshold.
 * The service has one connection, on the main thread, so that commit stalled the event loop for
 * the copy and its fsync. A passive checkpoint on a connection of its own does not take the
 * writer's lock (SQLite's documented way to checkpoint from another thread): commits go on
 * meanwhile, and once the log is copied the next commit starts it again from its beginning. In a
 * rare race (the checkpointer reading the log's header as a commit updates it) a commit's BEGIN
 * finds the lock taken for an instant, and the main connection's busy timeout waits a
 * millisecond. Measurements: bench/README.md.
 */
export class WalCheckpointer {
  private readonly exited: Promise<unknown>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
  }

  /** Starts checkpointing `file` every `intervalMs`; `onError` hears what the worker could not do. */
  static start(file: string, onError: (message: string) => void, intervalMs = 100): WalCheckpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
    worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
    worker.on('error', (err) => onError(String(err)));
    // Never what keeps the process alive.
    worker.unref();
    return new WalCheckpointer(worker);
  }

  /** Closes the worker's connection and waits for the thread to end. */
  async stop(): Promise<void> {
    // Held until it has ended, or a process with nothing else to do would exit before the thread does.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
