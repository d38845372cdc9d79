import type { Socket } from "bun";

export interface Conn {
  buffer: string;
  id: number;
}

/**
 * A real HTTP/1.1 server on a loopback port whose answers the test writes byte for byte. It
 * reads each request (head and Content-Length body) and calls `respond` with it.
 */
export function rawServer(respond: (request: string, socket: Socket<Conn>, index: number) => void) {
  const state = { connections: 0, requests: [] as string[], closed: 0 };
  const server = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buffer: "", id: ++state.connections };
      },
      data(socket, data) {
        socket.data.buffer += data.toString("latin1");
        while (true) {
          const end = socket.data.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(socket.data.buffer.slice(0, end))?.[1] ?? 0);
          if (socket.data.buffer.length < end + 4 + length) return;
          const request = socket.data.buffer.slice(0, end + 4 + length);
          socket.data.buffer = socket.data.buffer.slice(end + 4 + length);
          state.requests.push(request);
          respond(request, socket, state.requests.length);
        }
      },
      close() {
        state.closed++;
      },
    },
  });
  servers.push(server);
  return { ...state, state, url: `http://127.0.0.1:${server.port}`, server };
}

/** Every server started here; a test file stops them in its `afterAll`. */
export const servers: { stop(force?: boolean): void }[] = [];

/** A 200 answer of declared length, with `extra` header lines (each ending in CRLF). */
export const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
