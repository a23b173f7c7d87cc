import { createHash } from 'node:crypto';
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

/**
 * Bodies up to this size are hashed on the main thread when they end (~0.1 ms for MD5 + SHA-1 of
 * 64 KiB): for a small upload, the worker's round trip and the 1 MiB buffer it takes cost more
 * than the hashing (a 4 KiB PUT spent about a third of its CPU collecting those buffers).
 */
export const INLINE_DIGEST_BYTES = 64 * 1024;

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
 * WebDAV PUTs markedly (bench/README.md). A body of at most INLINE_DIGEST_BYTES never reaches the
 * worker: it is hashed here when it ends. `update` copies its
 * chunk (the caller may reuse it) and returns a promise when the worker is more than 8 MiB behind,
 * which the caller awaits: memory stays bounded whatever the client's speed.
 */
export class DigestJob {
  private readonly id = nextId++;
  /** Null while the body is small enough to be hashed here (INLINE_DIGEST_BYTES); then the worker. */
  private shared: Shared | null = null;
  /** Copies of the chunks of a small body, hashed at `finish`. */
  private held: Buffer[] | null = [];
  private heldBytes = 0;
  private buffer: Uint8Array<ArrayBuffer> | null = null;
  private filled = 0;
  private backlog = 0;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private finishing: { resolve: (d: Partial<Record<DigestName, string>>) => void; reject: (err: Error) => void } | null = null;
  private error: Error | null = null;

  constructor(private readonly names: readonly DigestName[]) {}

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error);
    if (this.held !== null) {
      if (this.heldBytes + chunk.byteLength <= INLINE_DIGEST_BYTES) {
        this.held.push(Buffer.from(chunk));
        this.heldBytes += chunk.byteLength;
        return undefined;
      }
      // Too large to hash here: the worker takes over, from the first byte.
      const held = this.held;
      this.held = null;
      this.startWorker();
      for (const c of held) this.copy(c);
    }
    this.copy(chunk);
    if (this.backlog <= MAX_BACKLOG_BYTES) return undefined;
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The hex digests of everything passed to `update`. */
  finish(): Promise<Partial<Record<DigestName, string>>> {
    if (this.error) return Promise.reject(this.error);
    if (this.held !== null) {
      const held = this.held;
      this.held = [];
      return Promise.resolve(
        Object.fromEntries(
          this.names.map((name) => {
            const h = createHash(name);
            for (const c of held) h.update(c);
            return [name, h.digest('hex')];
          }),
        ),
      );
    }
    this.send();
    // The last buffer's bytes went as a copy (or there were none): it waits for the next job.
    if (spare.length < MAX_SPARE) spare.push(this.buffer!.buffer);
    this.buffer = null;
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.shared!.worker.postMessage({ id: this.id, end: true });
    });
  }

  /** Drops the job (the upload failed); no promise of it settles afterwards. */
  abort(): void {
    if (this.held !== null) this.held = [];
    else if (this.forget()) this.shared!.worker.postMessage({ id: this.id, abort: true });
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

  private startWorker(): void {
    const shared = worker();
    this.shared = shared;
    this.buffer = takeBuffer();
    if (shared.jobs.size === 0) shared.worker.ref();
    shared.jobs.set(this.id, this);
    shared.worker.postMessage({ id: this.id, start: this.names });
  }

  /** Copies `chunk` into the buffers sent to the worker. */
  private copy(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - offset, SEND_BYTES - this.filled);
      this.buffer!.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === SEND_BYTES) this.send();
    }
  }

  /** Removes the job; the worker no longer keeps the process alive once none is left. */
  private forget(): boolean {
    const shared = this.shared;
    if (shared === null || !shared.jobs.delete(this.id)) return false;
    if (shared.jobs.size === 0) shared.worker.unref();
    return true;
  }

  private send(): void {
    if (this.filled === 0) return;
    // Transferred, not copied again: the full buffer, or the filled part of the last one.
    const full = this.filled === SEND_BYTES;
    const buffer = this.buffer!;
    const bytes = full ? buffer.buffer : buffer.buffer.slice(0, this.filled);
    this.shared!.worker.postMessage({ id: this.id, bytes }, [bytes]);
    this.backlog += this.filled;
    this.filled = 0;
    if (full) this.buffer = takeBuffer();
  }
}
