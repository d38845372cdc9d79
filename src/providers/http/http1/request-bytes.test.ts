import { afterAll, describe, expect, test } from "bun:test";
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
