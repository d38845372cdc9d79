import { afterAll, describe, expect, test } from "bun:test";
import { ConnectionPool } from "./connection-pool.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { ok, rawServer, servers } from "./testing/raw-server.ts";
import { type HeldWriter, TurnWrites } from "./turn-writes.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

describe("lean client: the writes of one turn, sent back to back at its end", () => {
  test("held writes go out at the turn's end, in the order held, from copies the caller cannot spoil", async () => {
    const writes = new TurnWrites();
    const sent: string[] = [];
    const writer = (name: string): HeldWriter => ({
      sendHeld: (bytes, from, size) => sent.push(`${name}:${bytes.toString("latin1", from, from + size)}`),
    });
    const bytes = Buffer.from("first");
    writes.hold(writer("a"), bytes, 5);
    bytes.write("other"); // the next request, encoded where this one was
    writes.hold(writer("b"), bytes, 3);
    expect(sent).toEqual([]);
    await turnEnd();
    expect(sent).toEqual(["a:first", "b:oth"]);
    writes.hold(writer("c"), Buffer.from("next"), 4);
    await turnEnd();
    expect(sent).toEqual(["a:first", "b:oth", "c:next"]);
  });

  test("beside an exchange in progress a request waits for the turn's end: aborted before it, nothing is sent", async () => {
    const server = rawServer((request, socket) => {
      if (!request.startsWith("GET /hang ")) socket.write(ok("done"));
    });
    const fetch = createLeanFetch({
      fallback: () => Promise.reject(new Error("no fallback")),
      env: {},
      pool: new ConnectionPool(),
    });
    const path = (request: string) => request.split(" ")[1];
    // Two kept-alive connections in the pool.
    await Promise.all([fetch(`${server.url}/warm`), fetch(`${server.url}/warm`)]);
    expect(server.state.connections).toBe(2);

    const hang = new AbortController();
    const hanging = fetch(`${server.url}/hang`, { signal: hang.signal });
    const gone = new AbortController();
    const aborted = fetch(`${server.url}/aborted`, { signal: gone.signal });
    gone.abort(new Error("gone")); // this turn: its request is still held
    await expect(aborted).rejects.toThrow("gone");

    // The next request (a fresh connection: one is busy, one was closed) and one after it on the
    // same kept-alive connection.
    expect(await (await fetch(`${server.url}/after`)).text()).toBe("done");
    expect(await (await fetch(`${server.url}/again`)).text()).toBe("done");
    expect(server.state.requests.map(path)).toEqual(["/warm", "/warm", "/hang", "/after", "/again"]);
    expect(server.state.connections).toBe(3);
    hang.abort(new Error("done waiting"));
    await expect(hanging).rejects.toThrow("done waiting");
  });
});
