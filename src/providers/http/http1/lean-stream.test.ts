import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { waitFor } from "../../../testing/wait-for.ts";
import type { ByteFeed, StreamedAnswer } from "../streamed-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { type Conn, ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

const EVENTS = "data: one\n\ndata: two\n\n";
const HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n";

/** The lean client's `stream`, on a pool of its own; a call it does not take fails loudly. */
const streamOf = () =>
  createLeanFetch({
    fallback: () => Promise.reject(new Error("no fallback")),
    env: {},
    pool: new ConnectionPool(),
  }).stream;

const textOf = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

/** A feed read to its end, read by read as the relay reads it (a read may answer at once). */
async function readAll(feed: ByteFeed): Promise<string> {
  let text = "";
  for (let read = await feed.readMany(); !read.done; read = await feed.readMany()) text += textOf(read.value);
  return text;
}

function feedOf(answer: Response | StreamedAnswer): StreamedAnswer {
  expect(answer).not.toBeInstanceOf(Response);
  return answer as StreamedAnswer;
}

describe("lean client: a successful event stream as a byte feed", () => {
  test("declared length, chunked, or to the connection's end: every byte, then the end; the connection goes on", async () => {
    let held: Socket<Conn> | undefined;
    const server = rawServer((_request, socket, index) => {
      if (index === 1) socket.write(`${HEAD}content-length: ${EVENTS.length}\r\n\r\n${EVENTS}`);
      else if (index === 2) {
        socket.write(`${HEAD}transfer-encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n`);
        held = socket;
      } else {
        socket.write(`HTTP/1.1 201 Created\r\ncontent-type: text/event-stream\r\n\r\n${EVENTS}`);
        socket.end();
      }
    });
    const stream = streamOf();
    const declared = feedOf(await stream(`${server.url}/1`));
    expect([declared.status, declared.length]).toEqual([200, EVENTS.length]);
    expect(await readAll(declared.body)).toBe(EVENTS);

    const chunked = feedOf(await stream(`${server.url}/2`));
    expect(chunked.length).toBe(-1);
    expect(textOf((await chunked.body.readMany()).value)).toBe("data: one\n\n");
    // Nothing held: the read waits for the socket, and the next bytes go straight to it.
    const pending = chunked.body.readMany();
    expect(pending).toBeInstanceOf(Promise);
    held?.write("b\r\ndata: two\n\n\r\n0\r\n\r\n");
    expect(textOf((await pending).value)).toBe("data: two\n\n");
    expect((await chunked.body.readMany()).done).toBe(true);

    const untilClose = feedOf(await stream(`${server.url}/3`));
    expect([untilClose.status, untilClose.length]).toEqual([201, -1]);
    expect(await readAll(untilClose.body)).toBe(EVENTS);
    // The first two answers on one kept-alive connection; the third ran to its close.
    expect(server.state.connections).toBe(1);
  });

  test("declared empty (content-length: 0): ended at once, its connection kept", async () => {
    // No later read comes to end such a body: it ends with its head (the server keeps the
    // connection open, so waiting would last until its idle close).
    const server = rawServer((_request, socket) => socket.write(`${HEAD}content-length: 0\r\n\r\n`));
    const stream = streamOf();
    const empty = feedOf(await stream(`${server.url}/empty`));
    expect([empty.status, empty.length]).toEqual([200, 0]);
    expect(await readAll(empty.body)).toBe("");
    const again = feedOf(await stream(`${server.url}/empty`));
    expect(await readAll(again.body)).toBe("");
    expect(server.state.connections).toBe(1);
  });

  test("an error status, another content type, or an encoded stream is a Response, as fetch gives", async () => {
    const packed = Bun.gzipSync(new TextEncoder().encode(EVENTS));
    const server = rawServer((request, socket) => {
      if (request.includes("/busy"))
        socket.write(
          "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/event-stream\r\nretry-after: 2\r\ncontent-length: 4\r\n\r\nslow",
        );
      else if (request.includes("/json")) socket.write(ok('{"a":1}'));
      else {
        socket.write(`${HEAD}content-encoding: gzip\r\ncontent-length: ${packed.length}\r\n\r\n`);
        socket.write(packed);
      }
    });
    const stream = streamOf();
    const busy = await stream(`${server.url}/busy`);
    expect(busy).toBeInstanceOf(Response);
    expect([
      busy.status,
      (busy as Response).statusText,
      (busy as Response).headers.get("retry-after"),
      await (busy as Response).text(),
    ]).toEqual([429, "Too Many Requests", "2", "slow"]);
    const json = (await stream(`${server.url}/json`)) as Response;
    expect([json instanceof Response, await json.text()]).toEqual([true, '{"a":1}']);
    const gzip = (await stream(`${server.url}/gzip`)) as Response;
    expect([gzip instanceof Response, await gzip.text()]).toEqual([true, EVENTS]);
  });
});

describe("lean client: a head read in place (no list of headers)", () => {
  test("names in any case, values with spaces around them; a bad name or value is refused", async () => {
    const server = rawServer((request, socket) => {
      if (request.includes("/name")) socket.write("HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n");
      else if (request.includes("/value")) socket.write("HTTP/1.1 200 OK\r\nx-a: a\0b\r\n\r\n");
      else
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-TYPE: Text/Event-Stream \r\nCONTENT-LENGTH:\t ${EVENTS.length} \r\nx-other: 1\r\n\r\n${EVENTS}`,
        );
    });
    const stream = streamOf();
    const answer = feedOf(await stream(`${server.url}/ok`));
    expect(answer.length).toBe(EVENTS.length);
    expect(await readAll(answer.body)).toBe(EVENTS);
    await expect(stream(`${server.url}/name`)).rejects.toThrow("bad header line");
    await expect(stream(`${server.url}/value`)).rejects.toThrow("bad header value");
  });
});

describe("lean client: a byte feed's failures", () => {
  test("an abort mid-body fails the waiting read with its reason and closes the connection", async () => {
    const server = rawServer((_request, socket) => {
      socket.write(`${HEAD}transfer-encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n`);
    });
    const abort = new AbortController();
    const answer = feedOf(await streamOf()(`${server.url}/`, { signal: abort.signal }));
    expect(textOf((await answer.body.readMany()).value)).toBe("data: one\n\n");
    const pending = answer.body.readMany();
    abort.abort(new Error("client left"));
    await expect(pending).rejects.toThrow("client left");
    await expect(answer.body.readMany()).rejects.toThrow("client left");
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
  });

  test("a feed cancelled by its reader closes the connection; a read waiting meanwhile sees the end", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(`${HEAD}content-length: 100\r\n\r\ndata: one\n\n`),
    );
    const answer = feedOf(await streamOf()(`${server.url}/`));
    expect(textOf((await answer.body.readMany()).value)).toBe("data: one\n\n");
    const pending = answer.body.readMany();
    await answer.body.cancel();
    expect((await pending).done).toBe(true);
    await waitFor("the server to see the close", () => server.state.closed === 1);
  });

  test("a body cut short fails the read", async () => {
    const server = rawServer((_request, socket) => {
      socket.write(`${HEAD}content-length: 100\r\n\r\ndata: one\n\n`);
      socket.end();
    });
    const answer = feedOf(await streamOf()(`${server.url}/`));
    await expect(readAll(answer.body)).rejects.toThrow("mid-body");
  });
});
