import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { waitFor } from "../../../testing/wait-for.ts";
import type { StreamedAnswer } from "../streamed-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { Http1Connection } from "./http1-connection.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { type Conn, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

/** Reads a body one read at a time: the size of each read, 0 at its end. */
type ReadNext = () => Promise<number>;

const lean = () =>
  createLeanFetch({
    fallback: () => Promise.reject(new Error("no fallback")),
    env: {},
    pool: new ConnectionPool(),
  });

/** The body of a `Response` (the lean client's `fetch`), read by its stream's reader. */
async function responseReader(url: string): Promise<ReadNext> {
  const res = await lean()(url);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  return async () => (await reader.read()).value?.byteLength ?? 0;
}

/** The byte feed of a successful event stream (the lean client's `stream`), as the relay reads it. */
async function feedReader(url: string): Promise<ReadNext> {
  const answer = (await lean().stream(url)) as StreamedAnswer;
  expect(answer).not.toBeInstanceOf(Response);
  return async () => {
    const read = await answer.body.readMany();
    return read.done ? 0 : read.size;
  };
}

/** An upstream that writes 64 MB as fast as the socket takes it, and notes when its writes stall. */
function endlessUpstream(contentType: string) {
  const TOTAL = 64 * 1024 * 1024;
  const piece = Buffer.alloc(256 * 1024, 97);
  const state = { sent: 0, stalled: false, total: TOTAL, url: "" };
  const push = (socket: Socket<Conn>) => {
    while (state.sent < TOTAL) {
      const written = socket.write(piece);
      state.sent += Math.max(written, 0);
      if (written < piece.length) {
        state.stalled = true;
        // The rest of this piece is dropped from the count; the body is all 'a' anyway.
        return;
      }
    }
    socket.end();
  };
  const server = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\n\r\n`);
        push(socket);
      },
      drain(socket) {
        state.stalled = false;
        push(socket);
      },
    },
  });
  servers.push(server);
  state.url = `http://127.0.0.1:${server.port}/`;
  return state;
}

describe("lean client: backpressure", () => {
  for (const [name, open, type] of [
    ["a Response's body", responseReader, "application/octet-stream"],
    ["an event stream's byte feed", feedReader, "text/event-stream"],
  ] as const) {
    test(`a reader of ${name} that stops pauses the socket: the upstream's writes stall, nothing piles up`, async () => {
      const upstream = endlessUpstream(type);
      let received = 0;
      const original = Http1Connection.prototype.received;
      Http1Connection.prototype.received = function (data: Buffer) {
        received += data.byteLength;
        original.call(this, data);
      };
      try {
        const next = await open(upstream.url);
        let read = await next();
        await waitFor("the upstream's writes to stall", () => upstream.stalled);
        // Turns of the event loop, each polling the sockets: a socket still read would take more.
        for (let turn = 0; turn < 300; turn++) await new Promise((resolve) => setImmediate(resolve));
        // What the client holds is what it took from the socket and the reader has not: one read or so.
        expect(received - read).toBeLessThan(4 * 1024 * 1024);
        expect(upstream.sent).toBeLessThan(upstream.total);
        for (let size = await next(); size > 0; size = await next()) read += size;
        expect(read).toBe(upstream.sent);
      } finally {
        Http1Connection.prototype.received = original;
      }
    });
  }
});
