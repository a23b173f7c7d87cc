import { connect, type Socket } from 'node:net';
import type { Server } from 'node:net';
import { parseResponse, type RawHttpResponse } from '../corpus/support/raw-http.js';

/**
 * GET requests that reach the server together: every connection is opened (and accepted by the
 * server) first, then all the requests are written in one go, so the server reads them in the
 * same turn of its event loop. `Promise.all` over ordinary requests does not ensure that: the
 * connections open one after the other, and a server that keeps up answers them one by one.
 * That matters for races decided within one batch, such as the OTP group commit. The server
 * must be the in-process one (`server`), whose accepted connections are counted (nothing else
 * may connect to it meanwhile).
 */
export async function simultaneousGets(url: string, server: Server, targets: readonly string[]): Promise<RawHttpResponse[]> {
  const { hostname, port } = new URL(url);
  let accepted = 0;
  const onConnection = () => void accepted++;
  server.on('connection', onConnection);
  const sockets: Socket[] = [];
  const answers: Array<Promise<RawHttpResponse>> = [];
  for (let i = 0; i < targets.length; i++) {
    const socket = connect({ host: hostname, port: Number(port) });
    sockets.push(socket);
    answers.push(
      new Promise((resolve, reject) => {
        const received: Buffer[] = [];
        socket.on('data', (c: Buffer) => received.push(c));
        socket.on('error', reject);
        socket.on('close', () => {
          const res = parseResponse(Buffer.concat(received));
          if (res) resolve(res);
          else reject(new Error(`no HTTP answer for ${targets[i]}`));
        });
      }),
    );
  }
  await Promise.all(sockets.map((s) => new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject))));
  // Accepted on the server's side too, so that the requests below are all it has to read.
  while (accepted < targets.length) await new Promise((resolve) => setImmediate(resolve));
  server.off('connection', onConnection);
  targets.forEach((target, i) => sockets[i]!.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`));
  return Promise.all(answers);
}
