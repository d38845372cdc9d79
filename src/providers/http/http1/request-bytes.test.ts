import { afterAll, describe, expect, onTestFinished, spyOn, test } from "bun:test";
import type { Socket } from "bun";
import { waitFor } from "../../../testing/wait-for.ts";
import { ConnectionPool } from "./connection-pool.ts";
import type { Exchange } from "./exchange.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { RequestBytes } from "./request-bytes.ts";
import { ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

/**
 * The bytes given to each write of the client's sockets from now (`Bun.connect` wrapped, the
 * sockets themselves untouched): which buffer a write came from. `restore` ends the watch.
 */
function socketWrites() {
  const writes: Uint8Array[] = [];
  const connect = Bun.connect;
  const watched = spyOn(Bun, "connect").mockImplementation((async (
    options: Parameters<typeof connect>[0],
  ) => {
    const socket = await connect(options);
    const write = socket.write;
    socket.write = function (this: typeof socket, data, ...rest) {
      if (typeof data !== "string") writes.push(data as Uint8Array);
      return write.call(this, data, ...rest);
    };
    return socket;
  }) as typeof connect);
  return { writes, restore: () => watched.mockRestore() };
}

/** An exchange that only notes whether its answer came. */
function exchange() {
  const state = { answered: false };
  const made: Exchange = {
    headOnly: false,
    takesWhole: true,
    takesFeed: false,
    answer: () => {},
    answerWhole: () => {
      state.answered = true;
    },
    answerFeed: () => {},
    written: () => {},
    released: () => {},
    failed: (error) => {
      throw error;
    },
  };
  return { state, exchange: made };
}

describe("lean client: the request's bytes, encoded in one reused buffer", () => {
  test("a request larger than the kept buffer goes out whole, and so does the small one after it", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("done")));
    const fetch = createLeanFetch({
      fallback: () => Promise.reject(new Error("no fallback")),
      env: {},
      pool: new ConnectionPool(),
    });
    const large = `{"text":"${"é".repeat(1024 * 1024)}"}`;
    expect(await (await fetch(`${server.url}/`, { method: "POST", body: large })).text()).toBe("done");
    expect(await (await fetch(`${server.url}/`, { method: "POST", body: "{}" })).text()).toBe("done");
    const [first, second] = server.state.requests.map((request) =>
      Buffer.from(request, "latin1").toString("utf8"),
    );
    expect(first?.endsWith(`\r\n\r\n${large}`)).toBe(true);
    expect(first).toContain(`Content-Length: ${Buffer.byteLength(large)}\r\n`);
    expect(second?.endsWith("Content-Length: 2\r\n\r\n{}")).toBe(true);
  });

  test("what the socket does not take at once is copied: the caller writes over its buffer at once", async () => {
    const received: Buffer[] = [];
    let upstream: Socket | undefined;
    const size = 32 * 1024 * 1024;
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          upstream = socket;
          socket.pause(); // nothing read until the test says: the client's write is cut short
        },
        data(socket, data) {
          received.push(data);
          if (received.reduce((sum, piece) => sum + piece.byteLength, 0) === size)
            socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        },
      },
    });
    servers.push(server);
    const connection = await new ConnectionPool().open({
      key: `127.0.0.1:${server.port}`,
      hostname: "127.0.0.1",
      port: server.port,
    });
    const bytes = Buffer.alloc(size, "a");
    const { state, exchange: sent } = exchange();
    connection.request(sent, bytes, size);
    bytes.fill("b"); // the next request, encoded where this one was
    await waitFor("the upstream's socket", () => upstream !== undefined);
    upstream?.resume();
    await waitFor("the answer", () => state.answered, 10_000);
    expect(Buffer.concat(received).equals(Buffer.alloc(size, "a"))).toBe(true);
  });

  test("a request grown a buffer of its own is not copied again nor held by the client once sent", async () => {
    // An image's megabytes: the connection keeps what the socket has yet to take as it is (the
    // buffer is the request's alone), and the client lets the buffer go at once, not at its next request.
    const watch = socketWrites();
    onTestFinished(() => watch.restore());
    let upstream: Socket | undefined;
    const received: Buffer[] = [];
    const body = `{"image":"${"i".repeat(16 * 1024 * 1024)}"}`;
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          upstream = socket;
          socket.pause();
        },
        data(socket, data) {
          received.push(data);
          if (Buffer.concat(received).toString("latin1").endsWith('"}'))
            socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        },
      },
    });
    servers.push(server);
    const bytes = new RequestBytes(64);
    const fetch = createLeanFetch({
      fallback: () => Promise.reject(new Error("no fallback")),
      env: {},
      pool: new ConnectionPool(),
      bytes,
    });
    const answered = fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body });
    await waitFor("the upstream's socket", () => upstream !== undefined);
    // Sent, most of it not yet taken by the socket: the client is back on its own small buffer.
    await waitFor("the client back on its kept buffer", () => bytes.bytes.byteLength === 64 && !bytes.alone);
    expect(Buffer.concat(received).byteLength).toBeLessThan(body.length);
    upstream?.resume();
    expect((await answered).status).toBe(200);
    expect(Buffer.concat(received).toString("latin1").endsWith(`\r\n\r\n${body}`)).toBe(true);
    // What the socket did not take at first went out later from the request's own buffer: views
    // of it, never a copy.
    const [sent, ...rest] = watch.writes;
    expect(rest.length).toBeGreaterThan(0);
    for (const write of rest) expect(write.buffer === sent?.buffer).toBe(true);
  });

  test("a body with room in front for the head goes out where it is, the head written there; one without is copied", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("done")));
    const room = 512;
    const body = (text: string) => new Uint8Array(Buffer.from(`${"-".repeat(room)}${text}`).buffer, room);
    // The caller's bodies with room in front: all of it, except the ones marked as having none.
    const bare = new WeakSet<ArrayBufferLike>();
    const bytes = new RequestBytes(64, (piece) => (bare.has(piece.buffer) ? 0 : piece.byteOffset));
    const fetch = createLeanFetch({
      fallback: () => Promise.reject(new Error("no fallback")),
      env: {},
      pool: new ConnectionPool(),
      bytes,
    });
    const inPlace = body("in place");
    const post = (piece: Uint8Array) =>
      fetch(`${server.url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
        body: piece as Uint8Array<ArrayBuffer>,
      });
    expect(await (await post(inPlace)).text()).toBe("done");
    // Sent from the body's own buffer: nothing of the body was copied.
    expect(bytes.bytes.buffer).toBe(inPlace.buffer);
    expect(bytes.bytes.byteOffset + bytes.size).toBe(inPlace.byteOffset + inPlace.byteLength);
    const copied = body("copied");
    bare.add(copied.buffer);
    expect(await (await post(copied)).text()).toBe("done");
    expect(bytes.bytes.buffer).not.toBe(copied.buffer);
    // A body smaller than its head's room is copied too; so is a view at its buffer's start.
    const tight = new Uint8Array(Buffer.from("--tight").buffer, 2);
    expect(await (await post(tight)).text()).toBe("done");
    expect(bytes.bytes.buffer).not.toBe(tight.buffer);
    expect(await (await fetch(`${server.url}/`)).text()).toBe("done");
    const requests = server.state.requests.map((request) => Buffer.from(request, "latin1").toString("utf8"));
    const head = (length: number) =>
      `POST /v1/traces HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\n` +
      "content-type: application/x-protobuf\r\nConnection: keep-alive\r\n" +
      `User-Agent: Bun/${Bun.version}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n` +
      `Content-Length: ${length}\r\n\r\n`;
    expect(requests.slice(0, 3)).toEqual([`${head(8)}in place`, `${head(6)}copied`, `${head(5)}tight`]);
    // The next request is encoded in the client's own buffer again, the bodies left as they were.
    expect(requests[3]?.startsWith("GET / HTTP/1.1\r\n")).toBe(true);
    expect(Buffer.from(inPlace).toString()).toBe("in place");
  });

  test("a buffer grown for one request is that request's alone; the kept one and a caller's are not", () => {
    const into = new RequestBytes(8);
    into.ascii("POST");
    expect(into.alone).toBe(false);
    into.ascii("a longer line");
    expect([into.alone, into.bytes.byteLength >= 17]).toEqual([true, true]);
    into.reset();
    expect([into.alone, into.bytes.byteLength]).toEqual([false, 8]);
    const withRoom = new RequestBytes(8, (piece) => piece.byteOffset);
    withRoom.ascii("POST");
    withRoom.body(new Uint8Array(Buffer.from("----a caller's body").buffer, 4));
    expect(withRoom.alone).toBe(false);
  });

  test("numbers, header lines and text land where they are written; a value fetch would change is refused", () => {
    const into = new RequestBytes(8);
    into.ascii("POST");
    expect(into.header("x-id", "a b\tc")).toBe(true);
    into.decimal(0);
    into.decimal(1234567);
    into.utf8("é", 2);
    expect(into.bytes.toString("utf8", 0, into.size)).toBe("POSTx-id: a b\tc\r\n01234567é");
    for (const bad of [" padded", "tab\t", "line\r\nbreak", "é"]) expect(into.header("x", bad)).toBe(false);
    into.reset();
    expect(into.size).toBe(0);
    expect(into.bytes.byteLength).toBe(8);
  });
});
