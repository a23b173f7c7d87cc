import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a server the test must not touch (the machine's PostgreSQL): the app
 * connects through it, and the test cuts it (every connection dropped, new ones refused) to make
 * that server unreachable for this app only, then opens it again on the same port. Or it stalls
 * it (connections stay open, nothing gets through: a partition) and resumes it.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** While stalled: the bytes held back, in arrival order, sent on resume(). */
  private held: Array<() => void> | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (on the port it had before, after a cut). */
  async open(): Promise<this> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const relay = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (this.held) this.held.push(() => to.write(chunk));
          else to.write(chunk);
        });
      relay(client, upstream);
      relay(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  /** Holds back every byte in either direction, connections left open (new ones are accepted and held too). */
  stall(): void {
    this.held ??= [];
  }

  /** Sends what was held back, and relays again. */
  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  /** Drops every relayed connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
