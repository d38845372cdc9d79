import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { type FakeServer, gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// A slow client slows the upstream read: the gateway holds a bounded amount of a stream, however
// fast the upstream writes (a same-dialect stream, relayed from the upstream's socket reads).

/** What the upstream would write in all: far more than every buffer between it and the client. */
const TOTAL = 256 * 1024 * 1024;
const EVENT = `data: {"choices":[{"index":0,"delta":{"content":"${"a".repeat(4000)}"}}]}\n\n`;
const PIECE = Buffer.from(EVENT.repeat(16));

/** The largest buffer the kernel lets a TCP socket grow to for `which` (its tcp_rmem/tcp_wmem maximum). */
const socketBufferMax = async (which: "tcp_rmem" | "tcp_wmem"): Promise<number> =>
  Number((await Bun.file(`/proc/sys/net/ipv4/${which}`).text()).trim().split(/\s+/)[2]);

/**
 * All the stream that may be in flight while the client holds it: two connections' send and
 * receive buffers at the kernel's maxima, plus the gateway's hold (128 KB) with room to spare;
 * never more than half the stream, so a gateway that reads on past its client still fails.
 */
const IN_FLIGHT_BOUND = Math.min(
  TOTAL / 2,
  2 * ((await socketBufferMax("tcp_rmem")) + (await socketBufferMax("tcp_wmem"))) + 8 * 1024 * 1024,
);

interface Upstream extends FakeServer {
  /** Bytes of the stream the socket took. */
  sent: number;
  /** The last write was cut short: the gateway stopped reading. */
  stalled: boolean;
  /** Connections closed. */
  closed: number;
}

/** A raw HTTP/1.1 upstream that answers every chat call with an endless event stream, as fast as its socket takes it. */
function endlessUpstream(): Promise<Upstream> {
  const push = (socket: Socket<{ buffer: string }>) => {
    while (state.sent < TOTAL) {
      const written = socket.write(PIECE);
      state.sent += Math.max(written, 0);
      if (written < PIECE.length) {
        state.stalled = true;
        return;
      }
    }
    socket.end();
  };
  const server = Bun.listen<{ buffer: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buffer: "" };
      },
      data(socket, data) {
        socket.data.buffer += data.toString("latin1");
        const end = socket.data.buffer.indexOf("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(socket.data.buffer)?.[1] ?? 0);
        if (end < 0 || socket.data.buffer.length < end + 4 + length) return;
        if (!socket.data.buffer.startsWith("POST")) {
          socket.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
          socket.data.buffer = "";
          return;
        }
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n");
        push(socket);
      },
      drain(socket) {
        state.stalled = false;
        push(socket);
      },
      close() {
        state.closed++;
      },
    },
  });
  const state: Upstream = {
    sent: 0,
    stalled: false,
    closed: 0,
    url: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(true),
  };
  return Promise.resolve(state);
}

const f = gatewayFixture<Upstream>({
  fake: endlessUpstream,
  fakeRoutes: false,
  // The default client: a plain-http stream is the lean client's byte feed at any load.
  config: (url) => ({
    providers: [{ name: "endless", type: "openai", base_url: `${url}/v1`, api_key: "sk-up" }],
    models: [{ name: "endless", routes: [{ provider: "endless", model: "endless" }] }],
    routing: { retries: 0, timeouts: { idle: "60s" } },
  }),
});

describe("a client that stops reading a stream", () => {
  test("stalls the upstream's writes: what the gateway took is bounded, and a cancel closes the upstream", async () => {
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("endless", "go", { stream: true }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toStartWith("data: ");
    await waitFor("the upstream's writes to stall", () => f.fake.stalled);
    const atStall = f.fake.sent;
    // The stimulus: the client holds the stream while the gateway could read on (it must not).
    await Bun.sleep(500);
    // What may sit between the upstream and the client: two loopback connections, each a send and
    // a receive buffer that the kernel grows up to its maxima (32 MB receive on some hosts), and the
    // gateway's own hold. An unbounded read would have taken the whole stream by now (loopback
    // moves GB a second), far more than that.
    expect(f.fake.sent - atStall).toBeLessThan(IN_FLIGHT_BOUND);
    expect(f.fake.sent).toBeLessThan(IN_FLIGHT_BOUND);
    await reader.cancel();
    await waitFor("the gateway to close the upstream connection", () => f.fake.closed === 1);
  });
});
