/**
 * A TCP proxy between a standby and its upstream that can cut the network: while cut, no byte passes either
 * way and new connections are held unanswered, as in a partition where packets are dropped (TCP keeps the
 * connections; the servers notice only by their own timeouts, wal_receiver_timeout and wal_sender_timeout).
 * Healed, what the peers sent meanwhile is delivered, as TCP retransmits it. Loopback only.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  /** The upstream's port; a repoint changes it for the next connections. */
  target = 0;
  private isCut = false;
  private readonly pairs = new Set<[Socket, Socket | null]>();
  private readonly held: Socket[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (client) => {
      client.on('error', () => client.destroy());
      if (this.isCut) {
        client.pause();
        this.held.push(client);
      } else this.forward(client);
    });
  }

  static open(port: number): Promise<CutProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(new CutProxy(server, port)));
    });
  }

  private forward(client: Socket): void {
    const upstream = createConnection({ host: '127.0.0.1', port: this.target });
    const pair: [Socket, Socket | null] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => client.write(d));
    if (this.isCut) {
      client.pause();
      upstream.pause();
    }
  }

  cut(): void {
    this.isCut = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b?.pause();
    }
  }

  heal(): void {
    this.isCut = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b?.resume();
    }
    for (const h of this.held.splice(0)) {
      this.forward(h);
      h.resume();
    }
  }

  close(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b?.destroy();
    }
    for (const h of this.held) h.destroy();
    this.server.close();
  }
}
