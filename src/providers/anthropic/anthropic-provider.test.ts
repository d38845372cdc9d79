import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../../test/fake-upstream/fake-upstream.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { ProviderCall } from "../provider.ts";
import { createAnthropicProvider } from "./anthropic-provider.ts";

// Against the fake upstream in Anthropic mode, which refuses calls without the right
// x-api-key and an anthropic-version header, as the real API does.
const KEY = "sk-ant-test";
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey: KEY, requireAnthropicVersion: true });
});
afterAll(() => fake.stop());

const timeouts = { connectMs: 5000, firstByteMs: 5000, idleMs: 5000 };
const call = (over: Partial<ProviderCall> = {}): ProviderCall => ({
  operation: "messages",
  body: { model: "claude-up", max_tokens: 16, messages: [{ role: "user", content: "hi there" }] },
  stream: false,
  requestId: "req_test",
  signal: AbortSignal.timeout(10_000),
  timeouts,
  ...over,
});

const provider = (apiKey = KEY) =>
  createAnthropicProvider({ name: "claude", baseUrl: `${fake.url}/`, apiKey, version: "2023-06-01" });

async function collect(events: AsyncIterable<SseEvent>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe("anthropic provider", () => {
  test("posts to {base_url}/v1/messages with x-api-key and anthropic-version", async () => {
    const reply = await provider().call(call());
    expect(reply.kind).toBe("json");
    const seen = fake.requests.at(-1);
    expect(seen?.path).toBe("/v1/messages");
    expect(seen?.headers["x-api-key"]).toBe(KEY);
    expect(seen?.headers["anthropic-version"]).toBe("2023-06-01");
  });

  test("streams the Messages events, an in-stream error event included", async () => {
    const reply = await provider().call(call({ stream: true, body: { ...call().body, stream: true } }));
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const names = (await collect(reply.events)).map((event) => event.event);
    expect(names[0]).toBe("message_start");
    expect(names.at(-1)).toBe("message_stop");

    const body = {
      ...call().body,
      stream: true,
      messages: [{ role: "user", content: "a b c [[fake:stream-error=2]]" }],
    };
    const failing = await provider().call(call({ stream: true, body }));
    if (failing.kind !== "stream") throw new Error("expected a stream");
    const last = (await collect(failing.events)).at(-1);
    expect(last?.event).toBe("error");
    expect(JSON.parse(last?.data ?? "{}")).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });
  });

  test("count_tokens goes to /v1/messages/count_tokens", async () => {
    const reply = await provider().call(
      call({
        operation: "count_tokens",
        body: { model: "claude-up", messages: [{ role: "user", content: "a b" }] },
      }),
    );
    expect(reply.kind === "json" && typeof reply.body.input_tokens).toBe("number");
    expect(fake.requests.at(-1)?.path).toBe("/v1/messages/count_tokens");
  });

  test("error bodies are read: a 400 keeps the upstream message; a 5xx is a retryable 502", async () => {
    const bad = { ...call().body, messages: [{ role: "user", content: "x [[fake:status=400]]" }] };
    const refused = await failure(provider().call(call({ body: bad })));
    expect(refused.status).toBe(400);
    expect(refused.message).toBe("fake upstream: status 400 on request");
    const busy = { ...call().body, messages: [{ role: "user", content: "x [[fake:status=529]]" }] };
    const overloaded = await failure(provider().call(call({ body: busy })));
    expect(overloaded.status).toBe(502);
    expect(overloaded.retryable).toBe(true);
  });

  test("the upstream refusing our key is a 502 about the gateway's credentials", async () => {
    const error = await failure(provider("sk-ant-wrong").call(call()));
    expect(error.status).toBe(502);
    expect(error.message).toContain("credentials");
  });

  test("an operation Anthropic does not serve is a 400 before any request", async () => {
    const before = fake.requests.length;
    const error = await failure(provider().call(call({ operation: "embeddings" })));
    expect(error.status).toBe(400);
    expect(fake.requests.length).toBe(before);
  });
});
