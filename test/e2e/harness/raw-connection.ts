/** A raw TCP connection to a gateway: what it received and whether the gateway closed it. */
export async function rawConnection(port: number) {
  const state = { received: "", closed: false, drained: () => {} };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        state.received += data.toString();
      },
      drain() {
        state.drained();
      },
      close() {
        state.closed = true;
        state.drained();
      },
      error() {
        state.closed = true;
        state.drained();
      },
    },
  });
  return { socket, state };
}

export type RawConnection = Awaited<ReturnType<typeof rawConnection>>;

/**
 * Writes up to `total` bytes of body as fast as the gateway takes them, until they are all out
 * or the gateway closes the socket: how many it took. One that reads a body it refused takes
 * them all; one that closes takes what the two sockets' buffers hold, a few megabytes.
 */
export async function upload({ socket, state }: RawConnection, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  while (sent < total && !state.closed) {
    const written = socket.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
    if (written > 0) sent += written;
    else await new Promise<void>((resolve) => (state.drained = resolve));
  }
  return sent;
}
