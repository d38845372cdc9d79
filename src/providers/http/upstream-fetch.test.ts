import { afterAll, describe, expect, test } from "bun:test";
import { freePort } from "../../testing/free-port.ts";
import { CallCancel, type LeanInit } from "./call-cancel.ts";
import { nodeFetch } from "./node-fetch.ts";
import type { StreamedAnswer } from "./streamed-answer.ts";
import {
  ALONE_STREAK,
  answerFetch,
  createUpstreamFetch,
  FEW_CORES,
  type LeanMode,
  leanMode,
  nativeFetchLimit,
  streamFetch,
} from "./upstream-fetch.ts";
import type { WholeAnswer } from "./whole-answer.ts";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/echo") {
      return Response.json(
        { method: request.method, body: await request.text(), auth: request.headers.get("authorization") },
        { status: 201, headers: { "x-upstream": "yes", "retry-after": "3" } },
      );
    }
    if (url.pathname === "/empty") return new Response(null, { status: 204 });
    // A stream that sends one event and then holds the connection open.
    return new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("data: one\n\n"));
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  },
});
const base = `http://127.0.0.1:${server.port}`;
/** An https upstream (the lean client never takes one): the recorders answer it, nothing listens there. */
const closedHttps = `https://127.0.0.1:${freePort()}/`;
afterAll(() => server.stop(true));

describe("nativeFetchLimit", () => {
  test("is what Bun read from BUN_CONFIG_MAX_HTTP_REQUESTS, else Bun's 256", () => {
    expect(nativeFetchLimit({})).toBe(256);
    expect(nativeFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: "2048" })).toBe(2048);
    expect(nativeFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: "0" })).toBe(256);
    expect(nativeFetchLimit({ BUN_CONFIG_MAX_HTTP_REQUESTS: "lots" })).toBe(256);
  });
});

/**
 * Fetches that note their name in `used` when called, and answer "ok"; `switching` makes an
 * upstream fetch on them (native fetch "native", node:http "node", a limit of 256).
 */
function recorder() {
  const used: string[] = [];
  const tagged = (name: string) =>
    (async () => {
      used.push(name);
      return new Response("ok");
    }) as unknown as typeof fetch;
  const switching = (lean: LeanMode, inFlight: () => number) =>
    createUpstreamFetch({
      inFlight,
      nativeLimit: 256,
      native: tagged("native"),
      fallback: tagged("node"),
      lean,
    });
  return { used, tagged, switching };
}

describe("createUpstreamFetch", () => {
  test("native fetch below half the native limit; past it, the lean client for http, node:http for the rest", async () => {
    let inFlight = 0;
    const { used, switching } = recorder();
    const upstream = switching("overflow", () => inFlight);
    inFlight = 120;
    await upstream(`${base}/echo`);
    inFlight = 121;
    const res = await upstream(`${base}/echo`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: "x",
    });
    expect(await res.json()).toEqual({ method: "POST", body: "x", auth: "Bearer k" });
    await upstream(closedHttps);
    expect(used).toEqual(["native", "node"]);
    const off = switching("off", () => inFlight);
    await off(`${base}/echo`);
    expect(used).toEqual(["native", "node", "node"]);
  });

  test("auto: the lean client for a plain-http call made alone, from the ALONE_STREAK-th in a row; native fetch from two in flight", async () => {
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "auto" })).toBe("auto");
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "fetch" })).toBe("overflow");
    let inFlight = 1;
    const { used, tagged, switching } = recorder();
    const upstream = switching("auto", () => inFlight);
    // Alone, but not yet ALONE_STREAK calls in a row: native fetch.
    for (let i = 1; i < ALONE_STREAK; i++) await upstream(`${base}/echo`);
    const warming = Array.from({ length: ALONE_STREAK - 1 }, () => "native");
    expect(used).toEqual(warming);
    // The streak reached: the lean client answers (the upstream's own status), https still goes to native fetch.
    const alone = await upstream(`${base}/echo`, { method: "POST", body: "x" });
    expect(alone.status).toBe(201);
    expect(await alone.json()).toEqual({ method: "POST", body: "x", auth: null });
    await upstream(closedHttps);
    expect(used).toEqual([...warming, "native"]);
    // A call made with another in flight breaks the streak: the next calls alone start it again.
    inFlight = 2;
    await upstream(`${base}/echo`);
    inFlight = 1;
    await upstream(`${base}/echo`);
    expect(used).toEqual([...warming, "native", "native", "native"]);
    // Past half the native limit, as before: the lean client for http, node:http for https.
    inFlight = 121;
    expect((await upstream(`${base}/echo`)).status).toBe(201);
    await upstream(closedHttps);
    expect(used).toEqual([...warming, "native", "native", "native", "node"]);
    // MINDGW_UPSTREAM_CLIENT=fetch: native fetch even alone, however many in a row.
    inFlight = 1;
    const fetchOnly = createUpstreamFetch({
      inFlight: () => inFlight,
      nativeLimit: 256,
      native: tagged("fetch-only"),
      fallback: tagged("node"),
      lean: "overflow",
    });
    for (let i = 0; i <= ALONE_STREAK; i++) await fetchOnly(`${base}/echo`);
    expect(used.filter((name) => name === "fetch-only")).toHaveLength(ALONE_STREAK + 1);
  });

  test("auto at c=32: a plain-http stream call is the lean client's byte feed, an https one and a non-stream call native fetch's", async () => {
    const { used, switching } = recorder();
    const upstream = switching("auto", () => 32);
    const stream = streamFetch(upstream);
    const feed = await stream(`${base}/stream`, { method: "POST", body: "{}" });
    expect(feed).not.toBeInstanceOf(Response);
    const first = await (feed as StreamedAnswer).body.readMany();
    expect(Buffer.concat(first.value).toString()).toBe("data: one\n\n");
    await (feed as StreamedAnswer).body.cancel();
    // An https stream is not the lean client's: native fetch takes it.
    await stream(closedHttps);
    await upstream(`${base}/echo`);
    expect(used).toEqual(["native", "native"]);
    // MINDGW_UPSTREAM_CLIENT=fetch: a stream on native fetch too.
    const fetchOnly = switching("overflow", () => 32);
    expect(await streamFetch(fetchOnly)(`${base}/stream`, { method: "POST", body: "{}" })).toBeInstanceOf(
      Response,
    );
    expect(used).toEqual(["native", "native", "native"]);
  });

  test("auto: alone, a whole answer comes as bytes through answerFetch (no Response); at c=32 from native fetch", async () => {
    let inFlight = 1;
    const { used, switching } = recorder();
    const upstream = switching("auto", () => inFlight);
    const whole = answerFetch(upstream);
    for (let i = 1; i < ALONE_STREAK; i++) await upstream(`${base}/echo`);
    const answer = await whole(`${base}/echo`, { method: "POST", body: "x" });
    expect(answer).not.toBeInstanceOf(Response);
    expect([answer.status, (answer as WholeAnswer).retryAfter]).toEqual([201, "3"]);
    expect(JSON.parse(new TextDecoder().decode((answer as WholeAnswer).body))).toEqual({
      method: "POST",
      body: "x",
      auth: null,
    });
    inFlight = 32;
    expect(await whole(`${base}/echo`)).toBeInstanceOf(Response);
    expect(used).toEqual([...Array.from({ length: ALONE_STREAK - 1 }, () => "native"), "native"]);
  });

  test("MINDGW_UPSTREAM_CLIENT=streams, the stream rule's name while it was an option, is auto", () => {
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "streams" })).toBe("auto");
  });

  test("MINDGW_UPSTREAM_CLIENT=lean, and unset on a host of few cores: every plain-http call on the lean client", async () => {
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "lean" }, 64)).toBe("all");
    expect(leanMode({}, FEW_CORES)).toBe("all");
    expect(leanMode({}, 1)).toBe("all");
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "anything else" }, FEW_CORES)).toBe("all");
    // With cores to spare the event loop is the bound: non-stream calls under load on `fetch`.
    expect(leanMode({}, FEW_CORES + 1)).toBe("auto");
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "auto" }, 1)).toBe("auto");
    expect(leanMode({ MINDGW_UPSTREAM_CLIENT: "fetch" }, 1)).toBe("overflow");
    const { used, tagged } = recorder();
    const upstream = createUpstreamFetch({
      inFlight: () => 0,
      native: tagged("native"),
      fallback: tagged("node"),
      lean: "all",
    });
    expect((await upstream(`${base}/echo`)).status).toBe(201);
    await upstream(closedHttps);
    expect(used).toEqual(["native"]);
  });
  test("a call with a cancel hook reaches native fetch and node:http with the hook's signal, never the hook", async () => {
    const given: (RequestInit | undefined)[] = [];
    const noting = (async (_input: unknown, init?: RequestInit) => {
      given.push(init);
      return new Response("ok");
    }) as unknown as typeof fetch;
    let inFlight = 32;
    const upstream = createUpstreamFetch({
      inFlight: () => inFlight,
      nativeLimit: 256,
      native: noting,
      fallback: noting,
      lean: "overflow",
    });
    const cancel = new CallCancel();
    const init: LeanInit = { method: "POST", body: "x", cancel };
    await upstream(`${base}/echo`, init);
    inFlight = 121;
    await upstream(closedHttps, init);
    expect(given.map((sent) => sent !== undefined && "cancel" in sent)).toEqual([false, false]);
    cancel.cancel(new Error("client left"));
    expect(given.map((sent) => sent?.signal?.reason)).toEqual([
      new Error("client left"),
      new Error("client left"),
    ]);
  });
});

describe("nodeFetch", () => {
  test("sends method, headers and body; returns status, headers and body", async () => {
    const res = await nodeFetch(`${base}/echo`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({ method: "POST", body: '{"a":1}', auth: "Bearer k" });
  });

  test("a status without a body has a null body", async () => {
    const res = await nodeFetch(`${base}/empty`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  test("an abort after the head breaks the body off; an abort before it rejects", async () => {
    const abort = new AbortController();
    const res = await nodeFetch(`${base}/stream`, { signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    abort.abort(new Error("client left"));
    await expect(reader.read()).rejects.toThrow();
    const early = new AbortController();
    early.abort(new Error("gone"));
    await expect(nodeFetch(`${base}/stream`, { signal: early.signal })).rejects.toThrow("gone");
  });

  test("an unreachable upstream rejects", async () => {
    await expect(nodeFetch(`http://127.0.0.1:${freePort()}/`)).rejects.toThrow();
  });
});
