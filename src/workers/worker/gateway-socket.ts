/** Bun's client socket: the DOM lib's, plus `terminate` (drop the connection, no close handshake). */
export type ClientSocket = WebSocket & { terminate(): void };

// tsconfig loads the DOM lib, whose WebSocket constructor hides Bun's (which takes headers).
const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => ClientSocket;

/** Dials the gateway's worker endpoint with the worker's token; binary messages read as ArrayBuffers. */
export function dialGateway(url: URL, token: string): ClientSocket {
  const socket = new BunWebSocket(url.href, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  socket.binaryType = "arraybuffer";
  return socket;
}
