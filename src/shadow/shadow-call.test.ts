import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { JsonObject } from "../core/dialect.ts";
import { upstreamTimeout } from "../core/gateway-error.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { callShadow } from "./shadow-call.ts";

// The shadow's own call against a real (fake) upstream over loopback: a same-dialect copy goes
// as the client's bytes with the model spliced in, and its answer is read as bytes.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

function route(headers: Record<string, string> = {}, doFetch?: typeof fetch): Route {
  const provider = createOpenAICompatibleProvider({
    name: "twin",
    baseUrl: `${fake.url}/v1`,
    headers,
    ...(doFetch ? { fetch: doFetch } : {}),
  });
  const timeouts = { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 };
  return {
    provider,
    upstreamModel: "candidate",
    weight: 1,
    timeouts,
    key: "twin/candidate",
    label: "provider:twin",
  };
}

function request(body: JsonObject): DispatchRequest {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return {
    operation: "chat",
    body,
    model: String(body.model),
    stream: body.stream === true,
    requestId: "req_shadow_call",
    signal: new AbortController().signal,
    received: { bytes, body, headers: {}, query: "" },
  };
}

const chat = (extra: JsonObject = {}): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content: "one two three" }],
  ...extra,
});

describe("callShadow", () => {
  test("non-stream: the client's bytes with the shadow's model; answer and usage read", async () => {
    fake.reset();
    const outcome = await callShadow(route(), request(chat()), new AbortController().signal);
    expect(outcome).toMatchObject({ status: 200, errorClass: null, ttftMs: null });
    expect(outcome.answer?.text).toBe("echo: one two three");
    expect(outcome.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage.outputTokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: "candidate" });
  });

  test("stream: consumed as a stream, with its time to first token and its usage", async () => {
    fake.reset();
    const outcome = await callShadow(route(), request(chat({ stream: true })), new AbortController().signal);
    expect(outcome.status).toBe(200);
    expect(outcome.ttftMs).not.toBeNull();
    expect(outcome.answer?.text).toBe("echo: one two three");
    // The gateway asked for usage on the shadow's stream, as it does on the primary's.
    expect(outcome.usage.outputTokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: "candidate", stream: true });
  });

  test("a stream that stalls after its first chunk is cut off by the shadow's own signal", async () => {
    const controller = new AbortController();
    // Tells when the first chunk of the answer has passed, so the cut comes mid-stream.
    const { promise: firstChunk, resolve } = Promise.withResolvers<void>();
    const watching = (async (input, init) => {
      const response = await fetch(input, init);
      const seen = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          out.enqueue(chunk);
          resolve();
        },
      });
      return new Response(response.body?.pipeThrough(seen), response);
    }) as typeof fetch;
    const stalled = route({ "x-fake-chunk-delay": "60000" }, watching);
    const pending = callShadow(stalled, request(chat({ stream: true })), controller.signal);
    await firstChunk;
    controller.abort(upstreamTimeout("shadow timed out"));
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
    expect(outcome.ttftMs).not.toBeNull();
  });

  test("an upstream error is an outcome with the upstream's status, never a throw", async () => {
    const outcome = await callShadow(
      route({ "x-fake-status": "429" }),
      request(chat()),
      new AbortController().signal,
    );
    expect(outcome.status).toBe(429);
    expect(outcome.errorClass).not.toBeNull();
    expect(outcome.answer).toBeNull();
  });
});
