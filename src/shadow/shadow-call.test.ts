import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { JsonObject } from "../core/dialect.ts";
import { upstreamTimeout } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Provider } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { freePort } from "../testing/free-port.ts";
import { waitFor } from "../testing/wait-for.ts";
import { chatBody, copyRequest, copyRoute } from "./copy-call-fixture.ts";
import { callShadow } from "./shadow-call.ts";
import { createShadowThread, shadowThreadMode } from "./shadow-thread-client.ts";

// The shadow's own call against a real (fake) upstream over loopback: a same-dialect copy goes
// as the client's bytes with the model spliced in, and its answer is read as bytes.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

const route = (headers: Record<string, string> = {}, doFetch?: typeof fetch, baseUrl?: string) =>
  copyRoute(baseUrl ?? `${fake.url}/v1`, headers, doFetch);
const request = copyRequest;
const chat = chatBody;

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

  test("decoded same-dialect events: cut short is a 502; ending in an error event, the status it stands for, as the primary's", async () => {
    /** A provider that yields its stream's events decoded (as Claude on Bedrock, a worker's tunnel). */
    const yielding = (events: SseEvent[]): Route => {
      const provider: Provider = {
        name: "decoded",
        dialect: "openai",
        call: async () => ({
          kind: "stream",
          events: (async function* () {
            yield* events;
          })(),
        }),
      };
      return { ...route(), provider, label: "provider:decoded" };
    };
    const delta = (content: string, finish: string | null = null) => ({
      data: JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] }),
    });
    const copy = (events: SseEvent[]) =>
      callShadow(yielding(events), request(chat({ stream: true })), new AbortController().signal);
    expect(await copy([delta("hi"), delta("!", "stop")])).toMatchObject({
      status: 200,
      answer: { text: "hi!" },
    });
    expect(await copy([delta("hi"), { data: "[DONE]" }])).toMatchObject({ status: 200 });
    expect(await copy([delta("hi")])).toMatchObject({
      status: 502,
      errorClass: "upstream_error",
      answer: null,
    });
    // An OpenAI error chunk of no type: the upstream's 500, as the primary's record reads it.
    const failure = { data: '{"error":{"message":"overloaded"}}' };
    expect(await copy([delta("hi"), failure, { data: "[DONE]" }])).toMatchObject({
      status: 500,
      errorClass: "upstream_error",
    });
  });
});

test("decoded events: the answer is held up to the bound on a whole answer, then the copy fails as a whole one past it does", async () => {
  const piece = "x".repeat(1024 * 1024);
  const delta = { data: JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] }) };
  // Past the bound (32 MB), then a proper end: read whole, it would be an answer.
  let sent = 0;
  let stopped = false;
  const provider: Provider = {
    name: "decoded",
    dialect: "openai",
    call: async () => ({
      kind: "stream",
      events: (async function* () {
        try {
          for (; sent < DEFAULT_MAX_UPSTREAM_BODY + 8 * piece.length; sent += piece.length) yield delta;
          yield { data: "[DONE]" };
        } finally {
          stopped = true;
        }
      })(),
    }),
  };
  const copy = await callShadow(
    { ...route(), provider, label: "provider:decoded" },
    request(chat({ stream: true })),
    new AbortController().signal,
  );
  expect(copy).toMatchObject({ status: 502, errorClass: "upstream_error", answer: null });
  // Reading stopped there: the provider's stream was let go a piece past the bound.
  expect(stopped).toBe(true);
  expect(sent).toBeLessThanOrEqual(DEFAULT_MAX_UPSTREAM_BODY + piece.length);
});

describe("a Responses call's copy", () => {
  /** A Responses call whose context records every answer it is told to store (the client's store). */
  const responsesCall = (stream: boolean) => {
    const told: JsonObject[] = [];
    const body: JsonObject = { model: "m", input: "one two three", ...(stream ? { stream } : {}) };
    const call: DispatchRequest = {
      ...request(body),
      operation: "responses",
      responses: { id: "resp_client", previous: [], onResponse: (response) => told.push(response) },
    };
    return { call, told };
  };

  for (const stream of [false, true])
    test(`${stream ? "stream" : "non-stream"}: translated to chat, the copy's answer is never stored as the client's`, async () => {
      fake.reset();
      const { call, told } = responsesCall(stream);
      const outcome = await callShadow(route(), call, new AbortController().signal);
      expect(outcome.status).toBe(200);
      expect(outcome.answer?.text).toBe("echo: one two three");
      expect(fake.requests.at(-1)?.path).toBe("/v1/chat/completions");
      expect(told).toEqual([]);
    });

  test("a route serving the Responses API itself: the copy's answer is never stored either", async () => {
    const { call, told } = responsesCall(false);
    const served = (async () =>
      Response.json({
        id: "resp_upstream",
        object: "response",
        status: "completed",
        output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "native" }] }],
        usage: { input_tokens: 3, output_tokens: 1 },
      })) as unknown as typeof fetch;
    const provider = createOpenAICompatibleProvider({
      name: "twin",
      baseUrl: `${fake.url}/v1`,
      apiKey: "sk-twin",
      fetch: served,
      responsesApi: true,
    });
    const outcome = await callShadow({ ...route(), provider }, call, new AbortController().signal);
    expect(outcome.answer?.text).toBe("native");
    expect(told).toEqual([]);
  });
});

// The same copies through the shadow thread (a Worker with its own fetch): the provider builds
// the request on the event loop, the thread sends it and reads the answer.
test("MINDGW_SHADOW_THREAD: unset or 1 sends every copy from the thread, stream the stream copies, 0 none", () => {
  expect(shadowThreadMode({ MINDGW_SHADOW_THREAD: "1" })).toBe("all");
  expect(shadowThreadMode({ MINDGW_SHADOW_THREAD: "0" })).toBe("off");
  expect(shadowThreadMode({ MINDGW_SHADOW_THREAD: "stream" })).toBe("stream");
  expect(shadowThreadMode({})).toBe("all");
});

describe("callShadow through the shadow thread", () => {
  const thread = createShadowThread();
  afterAll(() => thread.close());

  test("non-stream: the provider's request as built (URL, credentials, bytes); answer and usage read", async () => {
    fake.reset();
    const outcome = await callShadow(route(), request(chat()), new AbortController().signal, thread);
    expect(outcome).toMatchObject({ status: 200, errorClass: null, ttftMs: null });
    expect(outcome.answer?.text).toBe("echo: one two three");
    expect(outcome.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage.outputTokens).toBeGreaterThan(0);
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.body).toMatchObject({ model: "candidate" });
    expect(sent?.headers).toMatchObject({
      authorization: "Bearer sk-twin",
      "x-request-id": "req_shadow_call-shadow",
    });
  });

  test("stream: consumed as a stream, with its time to first token and its usage", async () => {
    fake.reset();
    const body = chat({ stream: true });
    const outcome = await callShadow(route(), request(body), new AbortController().signal, thread);
    expect(outcome.status).toBe(200);
    expect(outcome.ttftMs).not.toBeNull();
    expect(outcome.answer?.text).toBe("echo: one two three");
    expect(outcome.usage.outputTokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: "candidate", stream: true });
  });

  test("an upstream error, and an upstream that cannot be reached, are outcomes as on the event loop", async () => {
    const limited = await callShadow(
      route({ "x-fake-status": "429" }),
      request(chat()),
      new AbortController().signal,
      thread,
    );
    const local = await callShadow(
      route({ "x-fake-status": "429" }),
      request(chat()),
      new AbortController().signal,
    );
    expect(limited).toMatchObject({ status: 429, answer: null });
    expect(limited.errorClass).toBe(local.errorClass);
    const gone = route({}, undefined, `http://127.0.0.1:${freePort()}/v1`);
    const unreached = await callShadow(gone, request(chat()), new AbortController().signal, thread);
    const unreachedLocal = await callShadow(gone, request(chat()), new AbortController().signal);
    expect(unreached).toMatchObject({ status: 502, errorClass: "upstream_error", answer: null });
    expect(unreachedLocal).toMatchObject({ status: 502, errorClass: "upstream_error" });
  });

  test("a stalled stream is cut off by the copy's own signal; the thread serves the next copy", async () => {
    fake.reset();
    const controller = new AbortController();
    const stalled = route({ "x-fake-chunk-delay": "60000" });
    const pending = callShadow(stalled, request(chat({ stream: true })), controller.signal, thread);
    await waitFor("the copy to reach the upstream", () => fake.requests.length === 1);
    controller.abort(upstreamTimeout("shadow timed out"));
    expect(await pending).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
    // The thread cut its fetch: a copy sent afterwards is answered at once (nothing queued).
    const next = await callShadow(route(), request(chat()), new AbortController().signal, thread);
    expect(next.status).toBe(200);
  });

  test("a provider that sends through a fetch of its own keeps it: the copy stays on the event loop", async () => {
    fake.reset();
    let through = 0;
    const own = (async (input, init) => {
      through++;
      return fetch(input, init);
    }) as typeof fetch;
    const outcome = await callShadow(route({}, own), request(chat()), new AbortController().signal, thread);
    expect(outcome.status).toBe(200);
    expect(through).toBe(1);
  });
});
