import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { Traceparent } from "../../core/traceparent.ts";
import { freePort } from "../../testing/free-port.ts";
import type { ProviderCall } from "../provider.ts";
import { postCall, postNative, withQuery } from "./post-json.ts";
import { threadable } from "./thread/lean-thread-client.ts";

// The fakes below answer it: never dialled, and were it, nothing listens there.
const URL_ = `http://127.0.0.1:${freePort()}/v1/chat/completions`;

function callOf(
  signal: AbortSignal,
  body: ProviderCall["body"] = { model: "m", messages: [] },
): ProviderCall {
  return {
    operation: "chat",
    body,
    stream: false,
    requestId: "req_1",
    signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    native: { bytes: new TextEncoder().encode(JSON.stringify(body)), headers: {}, query: "" },
  };
}

/** A fetch that records the init it was given and fails as `fail` says. */
function fakeFetch(fail: "reject" | "throw" | "answer", seen: RequestInit[] = []): typeof fetch {
  const made = (_input: string | URL | Request, init?: RequestInit) => {
    if (init) seen.push(init);
    if (fail === "throw") throw new TypeError("bad input");
    if (fail === "reject") return Promise.reject(new TypeError("connection refused"));
    return Promise.resolve(new Response("{}", { status: 200 }));
  };
  return Object.assign(made, { preconnect: () => {} }) as typeof fetch;
}

describe("an upstream POST's failure", () => {
  test("a fetch that fails before any answer is a retryable 502 naming the provider", async () => {
    const failed = await postNative(
      "up",
      URL_,
      {},
      callOf(new AbortController().signal),
      fakeFetch("reject"),
    ).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(GatewayError);
    expect([(failed as GatewayError).status, (failed as GatewayError).retryable]).toEqual([502, true]);
    expect((failed as GatewayError).message).toContain("up");
  });

  test("a fetch that throws rather than rejects fails the same way, as a rejection", async () => {
    const sent = postCall("up", URL_, {}, callOf(new AbortController().signal), fakeFetch("throw"));
    const failed = await sent.catch((error: unknown) => error);
    expect((failed as GatewayError).status).toBe(502);
  });

  test("when we ended the call, it fails with the abort's reason", async () => {
    const controller = new AbortController();
    const reason = new GatewayError({ status: 504, code: "upstream_timeout", message: "timed out" });
    controller.abort(reason);
    const failed = await postNative("up", URL_, {}, callOf(controller.signal), fakeFetch("reject")).catch(
      (error: unknown) => error,
    );
    expect(failed).toBe(reason);
  });

  test("a body that cannot be serialised is the caller's 400, as a rejection", async () => {
    const body: Record<string, unknown> = { model: "m" };
    body.self = body;
    const call = {
      ...callOf(new AbortController().signal),
      native: undefined,
      body: body as ProviderCall["body"],
    };
    const failed = await postCall("up", URL_, {}, call, fakeFetch("answer")).catch((error: unknown) => error);
    expect([(failed as GatewayError).status, (failed as GatewayError).retryable]).toEqual([400, false]);
  });
});

describe("an upstream POST's init", () => {
  test("carries only what a client reads, so the lean client's thread still takes it", async () => {
    const seen: RequestInit[] = [];
    const signal = new AbortController().signal;
    const reply = await postNative(
      "up",
      URL_,
      { authorization: "Bearer k" },
      callOf(signal),
      fakeFetch("answer", seen),
    );
    expect(reply.kind).toBe("http");
    const init = seen[0];
    expect(init?.method).toBe("POST");
    expect(init?.headers).toEqual({ authorization: "Bearer k", "x-request-id": "req_1" });
    expect(threadable(URL_, init, {})).toBe(true);
    expect(Object.keys({ ...init }).sort()).toEqual(["body", "cancel", "headers", "method"]);
    // The call's signal, read through the init only by a client that takes one (no hook here).
    expect(init?.signal).toBe(signal);
  });

  test("the client's dialect headers override the provider's, the trace context goes on, the request id wins", async () => {
    const seen: RequestInit[] = [];
    const provider = {
      authorization: "Bearer k",
      "anthropic-version": "2023-06-01",
      "x-request-id": "stale",
    };
    const call = callOf(new AbortController().signal);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await postNative(
      "up",
      URL_,
      provider,
      {
        ...call,
        native: {
          ...(call.native as NonNullable<ProviderCall["native"]>),
          headers: { "anthropic-version": "2024-10-22" },
        },
        traceparent,
      },
      fakeFetch("answer", seen),
    );
    expect(seen[0]?.headers).toEqual({
      authorization: "Bearer k",
      "anthropic-version": "2024-10-22",
      traceparent,
      "x-request-id": "req_1",
    });
    // The provider's own headers are left as they were (the next call starts from them again).
    expect(provider).toEqual({
      authorization: "Bearer k",
      "anthropic-version": "2023-06-01",
      "x-request-id": "stale",
    });
  });

  test("a span's traceparent, known by its ids, goes as its text", async () => {
    const seen: RequestInit[] = [];
    const span = new Traceparent(0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c80319c, 0xb7ad6b71, 0x69203331, 1);
    await postNative(
      "up",
      URL_,
      { authorization: "Bearer k" },
      { ...callOf(new AbortController().signal), traceparent: span },
      fakeFetch("answer", seen),
    );
    expect(seen[0]?.headers).toEqual({
      authorization: "Bearer k",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "x-request-id": "req_1",
    });
  });

  test("a tracestate goes beside its traceparent, never alone", async () => {
    const seen: RequestInit[] = [];
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const call = callOf(new AbortController().signal);
    await postNative(
      "up",
      URL_,
      {},
      { ...call, traceparent, tracestate: "congo=1" },
      fakeFetch("answer", seen),
    );
    await postNative("up", URL_, {}, { ...call, tracestate: "congo=1" }, fakeFetch("answer", seen));
    expect(seen.map((init) => init.headers)).toEqual([
      { traceparent, tracestate: "congo=1", "x-request-id": "req_1" },
      { "x-request-id": "req_1" },
    ]);
  });
});

describe("the caller's query on the upstream's URL", () => {
  const AZURE = "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21";

  test("kept, after the provider's own", () => {
    expect(withQuery(AZURE, "?trace=1")).toBe(`${AZURE}&trace=1`);
    expect(withQuery(URL_, "?a=1&b=2")).toBe(`${URL_}?a=1&b=2`);
  });

  test("less the caller's api-version, in any case or encoding, where the URL says its own: the provider's is sent", () => {
    const v1 = "https://r.openai.azure.com/openai/v1/chat/completions";
    expect(withQuery(AZURE, "?api-version=2023-05-15")).toBe(AZURE);
    expect(withQuery(AZURE, "?API-Version=1&a=1&api%2Dversion=2")).toBe(`${AZURE}&a=1`);
    expect(withQuery(v1, "?api-version=2023-05-15&a=1")).toBe(`${v1}?a=1`);
  });

  test("the caller's api-version kept where the URL says none (an openai type in front of an API that reads it)", () => {
    expect(withQuery(URL_, "?api-version=2023-05-15")).toBe(`${URL_}?api-version=2023-05-15`);
  });
});
