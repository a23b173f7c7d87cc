import { Worker } from 'node:worker_threads';

/** Digests a worker computes (node:crypto names). */
export type DigestName = 'md5' | 'sha1' | 'sha256';

// CommonJS, run with `eval`: the same text works from dist/ and from the TypeScript sources the
// tests run, where no compiled worker file exists (as wal-checkpointer.ts does).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.start) {
      jobs.set(m.id, m.start.map((name) => [name, createHash(name)]));
    } else if (m.bytes) {
      const job = jobs.get(m.id);
      const view = new Uint8Array(m.bytes);
      if (job) for (const [, h] of job) h.update(view);
      // The buffer goes back, to be filled again.
      parentPort.postMessage({ id: m.id, hashed: view.byteLength, bytes: m.bytes }, [m.bytes]);
    } else if (m.end) {
      const job = jobs.get(m.id);
      jobs.delete(m.id);
      parentPort.postMessage({ id: m.id, digests: Object.fromEntries((job || []).map(([name, h]) => [name, h.digest('hex')])) });
    } else if (m.abort) {
      jobs.delete(m.id);
    }
  } catch (err) {
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, error: String(err) });
  }
});
`;

/** Bytes copied into one message to the worker. */
const SEND_BYTES = 1024 * 1024;
/** A job's bytes sent and not hashed yet beyond which `update` asks its caller to wait. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

interface Shared {
  readonly worker: Worker;
  readonly jobs: Map<number, DigestJob>;
}

/**
 * Buffers the worker has handed back, to fill again: no allocation, zero-filling or garbage per
 * message once warm (fresh ArrayBuffers made the worker path dearer than hashing on the main
 * thread; bench/README.md). At most what a few uploads' backlogs hold.
 */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 32;
const takeBuffer = (): Uint8Array<ArrayBuffer> => new Uint8Array(spare.pop() ?? new ArrayBuffer(SEND_BYTES));

let shared: Shared | null = null;
let nextId = 1;

function worker(): Shared {
  if (shared) return shared;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  const s: Shared = { worker: w, jobs: new Map() };
  w.on('message', (m: { id: number; hashed?: number; bytes?: ArrayBuffer; digests?: Record<string, string>; error?: string }) => {
    if (m.bytes?.byteLength === SEND_BYTES && spare.length < MAX_SPARE) spare.push(m.bytes);
    s.jobs.get(m.id)?.onMessage(m);
  });
  const fail = (err: unknown) => {
    if (shared === s) shared = null;
    for (const job of s.jobs.values()) job.onMessage({ error: `digest worker: ${String(err)}` });
    s.jobs.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(`exited with code ${code}`));
  // Kept alive only while a job waits for it (see DigestJob's constructor and `forget`).
  w.unref();
  shared = s;
  return s;
}

/**
 * Digests of a stream computed on a worker thread, so that the event loop only copies the
 * bytes (one memcpy) while another core hashes them: MD5 + SHA-1 on the main thread slowed large
 * WebDAV PUTs markedly (bench/README.md). `update` copies its
 * chunk (the caller may reuse it) and returns a promise when the worker is more than 8 MiB behind,
 * which the caller awaits: memory stays bounded whatever the client's speed.
 */
export class DigestJob {
  private readonly id = nextId++;
  private readonly shared = worker();
  private buffer = takeBuffer();
  private filled = 0;
  private backlog = 0;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private finishing: { resolve: (d: Partial<Record<DigestName, string>>) => void; reject: (err: Error) => void } | null = null;
  private error: Error | null = null;

  constructor(names: readonly DigestName[]) {
    if (this.shared.jobs.size === 0) this.shared.worker.ref();
    this.shared.jobs.set(this.id, this);
    this.shared.worker.postMessage({ id: this.id, start: names });
  }

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error);
    let offset = 0;
    while (offset < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - offset, SEND_BYTES - this.filled);
      this.buffer.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === SEND_BYTES) this.send();
    }
    if (this.backlog <= MAX_BACKLOG_BYTES) return undefined;
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The hex digests of everything passed to `update`. */
  finish(): Promise<Partial<Record<DigestName, string>>> {
    if (this.error) return Promise.reject(this.error);
    this.send();
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.shared.worker.postMessage({ id: this.id, end: true });
    });
  }

  /** Drops the job (the upload failed); no promise of it settles afterwards. */
  abort(): void {
    if (this.forget()) this.shared.worker.postMessage({ id: this.id, abort: true });
  }

  /** @internal the worker's answers */
  onMessage(m: { hashed?: number; digests?: Record<string, string>; error?: string }): void {
    if (m.error !== undefined) {
      this.error = new Error(m.error);
      this.forget();
      this.waiting?.reject(this.error);
      this.finishing?.reject(this.error);
      this.waiting = this.finishing = null;
      return;
    }
    if (m.hashed !== undefined) {
      this.backlog -= m.hashed;
      if (this.waiting && this.backlog <= MAX_BACKLOG_BYTES / 2) {
        this.waiting.resolve();
        this.waiting = null;
      }
    }
    if (m.digests !== undefined) {
      this.forget();
      this.finishing?.resolve(m.digests);
      this.finishing = null;
    }
  }

  /** Removes the job; the worker no longer keeps the process alive once none is left. */
  private forget(): boolean {
    if (!this.shared.jobs.delete(this.id)) return false;
    if (this.shared.jobs.size === 0) this.shared.worker.unref();
    return true;
  }

  private send(): void {
    if (this.filled === 0) return;
    // Transferred, not copied again: the full buffer, or the filled part of the last one.
    const full = this.filled === SEND_BYTES;
    const bytes = full ? this.buffer.buffer : this.buffer.buffer.slice(0, this.filled);
    this.shared.worker.postMessage({ id: this.id, bytes }, [bytes]);
    this.backlog += this.filled;
    this.filled = 0;
    if (full) this.buffer = takeBuffer();
  }
}
