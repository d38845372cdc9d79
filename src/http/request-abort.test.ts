import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { RequestAbort } from "./request-abort.ts";

test("aborts with the first reason, once: the client's, or one given to abort()", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const seen: unknown[] = [];
  abort.signal.addEventListener("abort", () => seen.push(abort.signal.reason));
  abort.abort(new Error("revoked first"));
  client.abort(new Error("client later"));
  expect(seen).toHaveLength(1);
  expect((seen[0] as Error).message).toBe("revoked first");

  const leaving = new AbortController();
  const followed = new RequestAbort(leaving.signal);
  leaving.abort("gone");
  expect(followed.signal.reason).toBe("gone");
});

test("a client signal aborted already aborts it at once; after release, the client no longer reaches it", () => {
  const done = new AbortController();
  done.abort("gone");
  expect(new RequestAbort(done.signal).signal.reason).toBe("gone");
  const later = new AbortController();
  const abort = new RequestAbort(later.signal);
  abort.release();
  later.abort("too late");
  expect(abort.signal.aborted).toBe(false);
});

test("per-request aborts with listeners are not kept alive by the server's request signals", async () => {
  // What the front door does per request: follow the request's signal with a controller of its
  // own, listen on it, and hold the body. None of it may outlive the request.
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      const abort = new RequestAbort(request.signal);
      abort.signal.addEventListener("abort", () => body.byteLength, { once: true });
      const response = new Response(String(body.byteLength));
      abort.release();
      return response;
    },
  });
  try {
    const count = () => {
      Bun.gc(true);
      return (heapStats().objectTypeCounts as Record<string, number>).AbortSignal ?? 0;
    };
    const before = count();
    const url = `http://127.0.0.1:${server.port}/`;
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(url, { method: "POST", body: "x".repeat(64) }).then((r) => r.text()),
        ),
      );
    }
    // 1,000 requests; with AbortSignal.any in Bun 1.4 about 2,000 signals stayed behind.
    expect(count() - before).toBeLessThan(200);
  } finally {
    await server.stop(true);
  }
});

test("followers hear the abort after the signal has aborted, once each; an unfollowed one does not", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const heard: string[] = [];
  const first = { handleEvent: () => heard.push(`first ${abort.signal.aborted}`) };
  const second = { handleEvent: () => heard.push(`second ${abort.signal.aborted}`) };
  const gone = { handleEvent: () => heard.push("gone") };
  abort.follow(first);
  abort.follow(gone);
  abort.follow(second);
  abort.unfollow(gone);
  client.abort(new Error("client left"));
  abort.abort(new Error("later"));
  expect(heard).toEqual(["first true", "second true"]);
  expect((abort.signal.reason as Error).message).toBe("client left");
  abort.release();
});

test("no signal of its own is made unless asked for; one asked for after the abort is aborted already", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const heard: unknown[] = [];
  abort.follow({ handleEvent: () => heard.push(abort.reason) });
  const made = () =>
    (abort as unknown as { controller: AbortController | undefined }).controller !== undefined;
  abort.abort("key revoked");
  expect(made()).toBe(false);
  expect(abort.aborted).toBe(true);
  expect(heard).toEqual(["key revoked"]);
  expect(abort.signal.aborted).toBe(true);
  expect(abort.signal.reason).toBe("key revoked");
  abort.release();
});
