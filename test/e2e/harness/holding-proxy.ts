import type { Socket } from "bun";

/**
 * A TCP proxy on a loopback port in front of a server (Redis, say, or a gateway a browser reads)
 * that can hold what its clients write: while it holds, their bytes are kept, in order, instead of
 * passed on, until `release` sends them. The server's replies always pass. What it holds can be
 * read, so a test waits for a command to have arrived rather than for a while. `cut` ends every
 * connection through it, as a network fault would.
 */
export interface HoldingProxy {
  readonly port: number;
  /** Keeps what clients write from now on. */
  hold(): void;
  /** Sends on what was held, and passes what comes after. */
  release(): void;
  /** What was held since `hold`, as text (one byte a character). */
  held(): string;
  /** Ends every connection through it now, as a network fault would; later ones pass as before. */
  cut(): void;
  stop(): void;
}

/** Bytes on their way to one socket: written as it takes them, the rest when it drains. */
class Outbox {
  private readonly queue: Uint8Array[] = [];
  socket: Socket<Connection> | undefined;

  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.flush();
  }

  flush(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    for (let bytes = this.queue[0]; bytes !== undefined; bytes = this.queue[0]) {
      const wrote = socket.write(bytes);
      if (wrote < bytes.length) {
        this.queue[0] = bytes.subarray(Math.max(0, wrote));
        return;
      }
      this.queue.shift();
    }
  }
}

/** One client's connection: its socket, the server's, and what is held on its way there. */
interface Connection {
  readonly toClient: Outbox;
  readonly toServer: Outbox;
  held: Uint8Array[];
  closed: boolean;
}

export async function startHoldingProxy(server: { hostname: string; port: number }): Promise<HoldingProxy> {
  const connections = new Set<Connection>();
  let holding = false;
  let heldText = "";

  const close = (connection: Connection) => {
    if (connection.closed) return;
    connection.closed = true;
    connections.delete(connection);
    connection.toClient.socket?.end();
    connection.toServer.socket?.end();
  };

  const listener = Bun.listen<Connection>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const connection: Connection = {
          toClient: new Outbox(),
          toServer: new Outbox(),
          held: [],
          closed: false,
        };
        connection.toClient.socket = client;
        client.data = connection;
        connections.add(connection);
        void Bun.connect<Connection>({
          hostname: server.hostname,
          port: server.port,
          data: connection,
          socket: {
            open(upstream) {
              connection.toServer.socket = upstream;
              connection.toServer.flush();
            },
            // Copied: the buffer is the socket's own, reused after this call.
            data: (_, bytes) => connection.toClient.push(new Uint8Array(bytes)),
            drain: () => connection.toServer.flush(),
            close: () => close(connection),
            error: () => close(connection),
          },
        }).catch(() => close(connection));
      },
      data(client, bytes) {
        const copy = new Uint8Array(bytes);
        const connection = client.data;
        if (!holding) {
          connection.toServer.push(copy);
          return;
        }
        connection.held.push(copy);
        heldText += Buffer.from(copy).toString("latin1");
      },
      drain: (client) => client.data.toClient.flush(),
      close: (client) => close(client.data),
      error: (client) => close(client.data),
    },
  });

  return {
    port: listener.port,
    hold() {
      holding = true;
      heldText = "";
    },
    release() {
      holding = false;
      for (const connection of connections) {
        for (const bytes of connection.held) connection.toServer.push(bytes);
        connection.held = [];
      }
    },
    held: () => heldText,
    cut() {
      for (const connection of [...connections]) close(connection);
    },
    stop() {
      for (const connection of [...connections]) close(connection);
      listener.stop(true);
    },
  };
}
