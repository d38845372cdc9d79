import type { GatewayFrame } from "../protocol.ts";

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A server's unmasked text frame. */
function textFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const length = payload.byteLength;
  const head = length < 126 ? [0x81, length] : [0x81, 126, length >> 8, length & 0xff];
  if (length > 0xffff) throw new Error("a frozen gateway's frame fits 64 KiB");
  return new Uint8Array([...head, ...payload]);
}

/**
 * A gateway that answers the upgrade, sends what the test gives it (its `registered`, a
 * request), and then answers nothing more: a close frame from the worker is never answered, as a
 * gateway frozen (SIGSTOP) or cut off mid-connection, whose kernel still holds the socket open.
 * Raw TCP, as Bun's own WebSocket server always completes a close handshake.
 */
export function frozenGateway(frames: GatewayFrame[]) {
  const received: Uint8Array[] = [];
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        received.push(new Uint8Array(data));
        if (received.length > 1) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(data.toString())?.[1] ?? "";
        const accept = new Bun.CryptoHasher("sha1").update(key + WEBSOCKET_GUID).digest("base64");
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        for (const frame of frames) socket.write(textFrame(JSON.stringify(frame)));
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}`,
    /** The worker's bytes as they came: the upgrade, then its frames (masked). */
    received,
    stop: () => server.stop(true),
  };
}
