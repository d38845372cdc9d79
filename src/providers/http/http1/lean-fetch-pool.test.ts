import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { freePort } from "../../../testing/free-port.ts";
import { monotonicPast, steppedWallClock } from "../../../testing/stepped-clocks.ts";
import { waitFor } from "../../../testing/wait-for.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { MAX_HEAD_BYTES } from "./head-reader.ts";
import { MalformedResponseError } from "./response-head.ts";
import { leanClient } from "./testing/lean-client.ts";
import { type Conn, ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

describe("lean fetch: the pool", () => {
  test("a server closing idle connections: the next request opens a fresh one", async () => {
    const server = rawServer((_request, socket) => {
      socket.write(ok("once"));
      socket.end(); // closes after answering, without saying so in the headers
    });
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/`)).text()).toBe("once");
    await waitFor("the server to close the idle connection", () => server.state.closed === 1);
    expect(await (await fetch(`${server.url}/`)).text()).toBe("once");
    expect(server.state.connections).toBe(2);
  });

  test("a kept-alive connection closed as the request goes out: sent again once on a fresh one", async () => {
    const server = rawServer((_request, socket, index) => {
      if (index === 2)
        socket.end(); // the stale race: closed without a byte of answer
      else socket.write(ok(`answer ${index}`));
    });
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/`, { method: "POST", body: "1" })).text()).toBe("answer 1");
    expect(await (await fetch(`${server.url}/`, { method: "POST", body: "2" })).text()).toBe("answer 3");
    expect(server.state.connections).toBe(2);
  });

  test("a fresh connection closed before the answer, or one closed after its first byte, is not retried", async () => {
    const server = rawServer((_request, socket, index) => {
      if (index === 2) return socket.write(ok("first"));
      if (index === 3) socket.write("HTTP/1.1 2"); // the first byte of an answer, then nothing
      socket.end();
    });
    const { fetch } = leanClient();
    await expect(fetch(`${server.url}/`)).rejects.toThrow("closed the connection");
    expect(await (await fetch(`${server.url}/`)).text()).toBe("first");
    expect(server.state.requests).toHaveLength(2);
    expect(server.state.connections).toBe(2);
    await expect(fetch(`${server.url}/`)).rejects.toThrow("closed the connection");
    expect(server.state.requests).toHaveLength(3);
  });

  test("connections idle past their time (ours or the server's Keep-Alive timeout) are closed", async () => {
    let now = 0;
    const pool = new ConnectionPool({ idleMs: 4000, now: () => now });
    const server = rawServer((request, socket) =>
      socket.write(ok("x", request.includes("/short") ? "keep-alive: timeout=2\r\n" : "")),
    );
    const { fetch } = leanClient(pool);
    await (await fetch(`${server.url}/long`)).text();
    now = 1500;
    await (await fetch(`${server.url}/long`)).text();
    expect(server.state.connections).toBe(1);
    await (await fetch(`${server.url}/short`)).text();
    now = 3000; // past 2 s - 1 s of margin
    await (await fetch(`${server.url}/long`)).text();
    expect(server.state.connections).toBe(2);
    now = 10_000;
    pool.sweep();
    await waitFor("the idle connection to close", () => server.state.closed === 2);
  });

  test("a step back of the wall clock (NTP, a VM resumed) keeps no connection past its idle time: the pool's clock is the monotonic one", async () => {
    const wall = steppedWallClock();
    try {
      const pool = new ConnectionPool({ idleMs: 5 });
      const server = rawServer((_request, socket) => socket.write(ok("x")));
      const { fetch } = leanClient(pool);
      await (await fetch(`${server.url}/`)).text();
      const idleFrom = performance.now();
      wall.step(-600_000);
      await monotonicPast(idleFrom, 10);
      pool.sweep();
      await waitFor("the idle connection to close", () => server.state.closed === 1);
      await (await fetch(`${server.url}/`)).text();
      expect(server.state.connections).toBe(2);
    } finally {
      wall.restore();
    }
  });

  test("no cap: 300 requests at once each get their own connection", async () => {
    const waiting: Socket<Conn>[] = [];
    const server = rawServer((_request, socket) => {
      waiting.push(socket);
      if (waiting.length === 300) for (const held of waiting) held.write(ok("done"));
    });
    const { fetch } = leanClient();
    const bodies = await Promise.all(
      Array.from({ length: 300 }, async () => (await fetch(`${server.url}/`)).text()),
    );
    expect(new Set(bodies)).toEqual(new Set(["done"]));
    expect(server.state.connections).toBe(300);
  });
});

describe("lean fetch: failures", () => {
  test("an unreachable upstream rejects", async () => {
    await expect(leanClient().fetch(`http://127.0.0.1:${freePort()}/`)).rejects.toThrow();
  });

  test("an abort before the head rejects with its reason; mid-body it errors the body", async () => {
    const server = rawServer((request, socket) => {
      if (request.includes("/hang")) return;
      socket.write(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
      );
      socket.write("b\r\ndata: one\n\n\r\n");
    });
    const { fetch } = leanClient();
    const early = new AbortController();
    const pending = fetch(`${server.url}/hang`, { signal: early.signal });
    await waitFor("the request to arrive", () => server.state.requests.length === 1);
    early.abort(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");

    const late = new AbortController();
    const res = await fetch(`${server.url}/stream`, { signal: late.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    late.abort(new Error("client left"));
    await expect(reader.read()).rejects.toThrow("client left");
    await waitFor("the server to see both connections close", () => server.state.closed === 2);
    const aborted = new AbortController();
    aborted.abort(new Error("already"));
    await expect(fetch(`${server.url}/x`, { signal: aborted.signal })).rejects.toThrow("already");
  });

  test("a body cancelled by its reader closes the connection", async () => {
    const server = rawServer((_request, socket) =>
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part"),
    );
    const { fetch } = leanClient();
    const res = await fetch(`${server.url}/`);
    await res.body?.cancel();
    await waitFor("the server to see the close", () => server.state.closed === 1);
  });

  test("a head over the bound, a malformed head, a broken chunk: clear errors", async () => {
    const server = rawServer((request, socket) => {
      if (request.includes("/huge"))
        socket.write(`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n`);
      else if (request.includes("/garbage")) socket.write("SMTP ready\r\n\r\n");
      else socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
    });
    const { fetch } = leanClient();
    await expect(fetch(`${server.url}/huge`)).rejects.toThrow(MalformedResponseError);
    await expect(fetch(`${server.url}/huge`)).rejects.toThrow(
      `response head larger than ${MAX_HEAD_BYTES} bytes`,
    );
    await expect(fetch(`${server.url}/garbage`)).rejects.toThrow("bad status line");
    const res = await fetch(`${server.url}/chunk`);
    await expect(res.text()).rejects.toThrow("bad chunk size");
  });

  test("a body cut short errors the reader", async () => {
    const server = rawServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort");
      socket.end();
    });
    const res = await leanClient().fetch(`${server.url}/`);
    await expect(res.text()).rejects.toThrow("mid-body");
  });
});
