import { afterAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../../../core/gateway-error.ts";
import { freePort } from "../../../testing/free-port.ts";
import { waitFor } from "../../../testing/wait-for.ts";
import type { ProviderCall } from "../../provider.ts";
import { CallCancel } from "../call-cancel.ts";
import { MAX_HEAD_BYTES } from "../http1/head-reader.ts";
import { ok, rawServer, servers } from "../http1/testing/raw-server.ts";
import { postNative } from "../post-json.ts";
import { MAX_ERROR_BODY } from "../read-bounded.ts";
import { wholeBody } from "../read-reply.ts";
import type { StreamedAnswer } from "../streamed-answer.ts";
import { createUpstreamFetch, leanMode, streamFetch } from "../upstream-fetch.ts";
import type { WholeAnswer } from "../whole-answer.ts";
import { createLeanThread, type ThreadInit, threadable } from "./lean-thread-client.ts";

const thread = createLeanThread();
afterAll(() => {
  thread.close();
  for (const server of servers) server.stop(true);
});

const post = (body = "{}", signal?: AbortSignal) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body,
  ...(signal ? { signal } : {}),
});
const text = (answer: WholeAnswer) => new TextDecoder().decode(answer.body);

/**
 * What a call rejected with, once it has. Bun's `expect(pending).rejects` waits for a promise
 * still pending by running the event loop in a way that does not deliver a Worker's messages,
 * so a call whose answer comes from the thread is settled first, then its error checked.
 */
const failure = (pending: Promise<unknown>): Promise<unknown> =>
  pending.then(
    () => "answered",
    (error: unknown) => error,
  );

describe("the lean client's thread", () => {
  test("answers whole: status, content type, Retry-After, body; the connection kept for the next call", async () => {
    const server = rawServer((request, socket, index) =>
      socket.write(
        index === 1 ? ok(request.slice(request.indexOf("\r\n\r\n") + 4), "retry-after: 3\r\n") : ok("two"),
      ),
    );
    const first = await thread.answer(`${server.url}/v1/chat`, post('{"a":1}'), 1024);
    expect([first.status, first.contentType, first.retryAfter, text(first)]).toEqual([
      200,
      "text/plain",
      "3",
      '{"a":1}',
    ]);
    expect(server.state.requests[0]).toStartWith("POST /v1/chat HTTP/1.1\r\n");
    expect(server.state.requests[0]).toContain("content-type: application/json\r\n");
    const second = await thread.answer(`${server.url}/v1/chat`, post(), 1024);
    expect(text(second)).toBe("two");
    expect(server.state.connections).toBe(1);
  });

  test("the calls of one turn all answered, each its own", async () => {
    const server = rawServer((request, socket) =>
      socket.write(ok(request.slice(request.indexOf("\r\n\r\n") + 4))),
    );
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => thread.answer(`${server.url}/`, post(`{"n":${i}}`), 1024)),
    );
    expect(answers.map(text)).toEqual(Array.from({ length: 40 }, (_, i) => `{"n":${i}}`));
  });

  test("an abort mid-exchange rejects at once with its reason, and the thread closes that connection", async () => {
    const server = rawServer(() => {});
    const abort = new AbortController();
    const pending = thread.answer(`${server.url}/hang`, post("{}", abort.signal), 1024);
    await waitFor("the request to arrive", () => server.state.requests.length === 1);
    abort.abort(new Error("client left"));
    expect(String(await failure(pending))).toContain("client left");
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
    // Aborted in the turn it was made: rejected, and never sent.
    const early = new AbortController();
    const unsent = thread.answer(`${server.url}/never`, post("{}", early.signal), 1024);
    early.abort(new Error("gone"));
    expect(String(await failure(unsent))).toContain("gone");
    const before = new AbortController();
    before.abort(new Error("already"));
    await expect(thread.answer(`${server.url}/x`, post("{}", before.signal), 1024)).rejects.toThrow(
      "already",
    );
    // A call after them is answered, so the thread has run the aborted one's turn: it never went out.
    const after = rawServer((_request, socket) => socket.write(ok("fine")));
    expect(text(await thread.answer(`${after.url}/`, post(), 1024))).toBe("fine");
    expect(server.state.requests).toHaveLength(1);
  });

  test("a call with a cancel hook (as an attempt calls) hooks in: its cancel ends the exchange the same way", async () => {
    const server = rawServer(() => {});
    const cancel = new CallCancel();
    const init: ThreadInit = { ...post("{}", cancel.signal), cancel };
    expect(threadable(`${server.url}/hang`, init, {})).toBe(true);
    const pending = thread.answer(`${server.url}/hang`, init, 1024);
    expect(cancel.stage).not.toBeNull();
    await waitFor("the request to arrive", () => server.state.requests.length === 1);
    cancel.cancel(new Error("client left"));
    expect(String(await failure(pending))).toContain("client left");
    expect(cancel.stage).toBeNull();
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
  });

  test("a deadline (the attempt's timer aborting the signal) ends the exchange the same way", async () => {
    const server = rawServer(() => {});
    const pending = thread.answer(`${server.url}/slow`, post("{}", AbortSignal.timeout(20)), 1024);
    expect(await failure(pending)).toMatchObject({ name: "TimeoutError" });
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
  });

  test("a bad head, a head over the bound, an unreachable upstream: the call rejects", async () => {
    const server = rawServer((request, socket) =>
      socket.write(
        request.includes("/huge")
          ? `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n`
          : "SMTP ready\r\n\r\n",
      ),
    );
    expect(String(await failure(thread.answer(`${server.url}/garbage`, post(), 1024)))).toContain(
      "bad status line",
    );
    expect(String(await failure(thread.answer(`${server.url}/huge`, post(), 1024)))).toContain(
      "response head larger",
    );
    expect(await failure(thread.answer(`http://127.0.0.1:${freePort()}/`, post(), 1024))).toBeInstanceOf(
      Error,
    );
  });

  test("a 2xx body over the call's bound comes back as `over`, refused as too large; an error body is cut", async () => {
    const big = "x".repeat(2000);
    const chunked = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${(1000).toString(16)}\r\n${big.slice(0, 1000)}\r\n`;
    const server = rawServer((request, socket) => {
      if (request.includes("/whole")) socket.write(ok(big));
      else if (request.includes("/error"))
        socket.write(
          `HTTP/1.1 500 Oops\r\ncontent-length: ${MAX_ERROR_BODY + 10}\r\n\r\n${"e".repeat(MAX_ERROR_BODY + 10)}`,
        );
      else {
        // Chunks in two writes: the body is not whole with the head, so it is read on the thread.
        socket.write(chunked);
        setImmediate(() => socket.write(`${(1000).toString(16)}\r\n${big.slice(1000)}\r\n0\r\n\r\n`));
      }
    });
    for (const path of ["/whole", "/chunked"]) {
      const answer = await thread.answer(`${server.url}${path}`, post(), 1500);
      expect([answer.status, answer.over, answer.body.byteLength]).toEqual([200, true, 0]);
      expect(() => wholeBody("p", answer, 1500)).toThrow("larger than 1500 bytes");
      const within = await thread.answer(`${server.url}${path}`, post(), 2000);
      expect([within.over, text(within)]).toEqual([undefined, big]);
    }
    const failed = await thread.answer(`${server.url}/error`, post(), 1500);
    expect([failed.status, failed.body.byteLength]).toEqual([500, MAX_ERROR_BODY]);
  });

  test("close rejects the calls in it; later calls are refused and the thread is no longer usable", async () => {
    const own = createLeanThread();
    const server = rawServer(() => {});
    const pending = own.answer(`${server.url}/hang`, post(), 1024);
    await waitFor("the request to arrive", () => server.state.requests.length === 1);
    expect(own.usable()).toBe(true);
    own.close();
    expect(String(await failure(pending))).toContain("stopped");
    expect(own.usable()).toBe(false);
    expect(String(await failure(own.answer(`${server.url}/x`, post(), 1024)))).toContain("stopped");
  });

  test("takes only what the loop's lean client would: plain http, plain headers, a text or byte body", () => {
    expect(threadable("http://u/x", post(), {})).toBe(true);
    expect(threadable("http://u/x", { ...post(), body: new Uint8Array(2) }, {})).toBe(true);
    expect(threadable("https://u/x", post(), {})).toBe(false);
    expect(threadable("http://u/x", post(), { http_proxy: "http://proxy" })).toBe(false);
    expect(threadable(new URL("http://u/x"), post(), {})).toBe(false);
    expect(threadable("http://u/x", { ...post(), headers: new Headers() }, {})).toBe(false);
    expect(threadable("http://u/x", { ...post(), redirect: "manual" }, {})).toBe(false);
    expect(threadable("http://u/x", { method: "POST", headers: {} }, {})).toBe(false);
  });
});

describe("MINDGW_UPSTREAM_CLIENT=thread", () => {
  const call = (signal: AbortSignal): ProviderCall =>
    ({ body: {}, stream: false, requestId: "r", signal, maxBody: 1024 }) as unknown as ProviderCall;

  test("a non-stream call under load goes to the thread, errors mapped as on the loop; alone it stays", async () => {
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "thread" })).toBe("thread");
    let inFlight = 32;
    const used: string[] = [];
    const native = (async () => {
      used.push("native");
      return new Response("{}");
    }) as unknown as typeof fetch;
    const upstream = createUpstreamFetch({
      inFlight: () => inFlight,
      nativeLimit: 256,
      native,
      lean: "thread",
      thread,
    });
    const server = rawServer((request, socket) =>
      socket.write(request.includes("/bad") ? "SMTP ready\r\n\r\n" : ok('{"ok":true}')),
    );
    const reply = await postNative("p", `${server.url}/v1`, {}, call(new AbortController().signal), upstream);
    expect(reply.response).not.toBeInstanceOf(Response);
    expect(text(reply.response as WholeAnswer)).toBe('{"ok":true}');
    expect(used).toEqual([]);
    // A bad head is the route's retryable 502, as on the loop.
    const bad = postNative("p", `${server.url}/bad`, {}, call(new AbortController().signal), upstream);
    const unreachable = await failure(bad);
    expect(unreachable).toBeInstanceOf(GatewayError);
    expect(unreachable).toMatchObject({ status: 502 });
    // An abort is its reason.
    const hang = rawServer(() => {});
    const abort = new AbortController();
    const pending = postNative("p", `${hang.url}/v1`, {}, call(abort.signal), upstream);
    await waitFor("the request to arrive", () => hang.state.requests.length === 1);
    abort.abort(new Error("client left"));
    expect(String(await failure(pending))).toContain("client left");
    // A stream under load stays on the loop's byte feed.
    const events = rawServer((_request, socket) =>
      socket.write(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n",
      ),
    );
    const feed = await streamFetch(upstream)(`${events.url}/v1`, post());
    expect(feed).not.toBeInstanceOf(Response);
    await (feed as StreamedAnswer).body.cancel();
    expect(used).toEqual([]);
    // Alone, a call is not worth the hops: native fetch here (the lean client on the loop after a streak).
    inFlight = 1;
    await postNative("p", `${server.url}/v1`, {}, call(new AbortController().signal), upstream);
    expect(used).toEqual(["native"]);
  });
});
