import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * HTTP/1.1 over a bare socket, for hostile input: the request goes out byte for byte as the case
 * says (no client library normalises a header, refuses a byte or fixes a Content-Length), and the
 * response is read until the server closes the connection (every request says
 * `Connection: close`).
 */
export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed when the response says it is JSON. */
  json: any;
}

export interface SendOptions {
  host: string;
  port: number;
  /** Source address on the loopback (127.x.y.z): each case can be its own client subnet. */
  localAddress?: string;
  /** The request in pieces, written with `delayMs` between them (a slow client). */
  pieces: Buffer[];
  delayMs?: number;
  /** Close the connection after the last piece instead of waiting for an answer. */
  abandon?: boolean;
  timeoutMs?: number;
}

export type SendResult = { kind: 'response'; response: RawHttpResponse } | { kind: 'closed'; bytes: number } | { kind: 'abandoned' };

export async function sendRaw(opts: SendOptions): Promise<SendResult> {
  const socket: Socket = connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
  const received: Buffer[] = [];
  let writeFailed = false;
  const ended = new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('end', () => resolve());
    socket.on('close', () => resolve());
    // A server that answers early (413 before the body) may reset a connection still being
    // written to; what it answered before that is still in `received`.
    socket.on('error', () => {
      writeFailed = true;
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (let i = 0; i < opts.pieces.length; i++) {
    if (writeFailed || socket.destroyed) break;
    if (i > 0 && opts.delayMs) await sleep(opts.delayMs);
    socket.write(opts.pieces[i]!);
  }
  if (opts.abandon) {
    socket.destroy();
    return { kind: 'abandoned' };
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  socket.destroy();
  const bytes = Buffer.concat(received);
  if (timedOut && bytes.length === 0) throw new Error(`no answer within ${timeoutMs} ms`);
  const response = parseResponse(bytes);
  return response ? { kind: 'response', response } : { kind: 'closed', bytes: bytes.length };
}

/** Parses one HTTP/1.1 response (Content-Length, chunked, or until close); null if there is none. */
export function parseResponse(bytes: Buffer): RawHttpResponse | null {
  // Interim answers (100 Continue) come first; the final answer follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.subarray(0, 16).toString('latin1'))) {
    const end = bytes.indexOf('\r\n\r\n');
    if (end < 0) return null;
    bytes = bytes.subarray(end + 4);
  }
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
  }
  let body = bytes.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  let json: unknown;
  if ((headers['content-type'] ?? '').includes('json') && body.length) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  return { status: Number(m[1]), headers, body, json };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
