import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { Usage } from "../core/usage.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { streamUsage } from "./stream-usage.ts";

/**
 * A streamed answer whose upstream sent `upstreamEvents` data events (its end marker not counted),
 * framed as `events` for the caller, reported `usage` (undefined: none at all), and was whole or not.
 */
function streamed(
  usage: Usage | undefined,
  upstreamEvents: number,
  complete: boolean,
  events = 40,
): Dispatched {
  const chunks: ChunkSource = {
    events,
    upstreamEvents,
    complete,
    reported: undefined,
    next: async () => undefined,
    cancel() {},
  };
  return {
    reply: { kind: "stream", chunks },
    route: "provider:a",
    upstreamModel: "m",
    usage: () => usage ?? { inputTokens: 0, outputTokens: 0 },
    answeredModel: () => undefined,
    attempts: 1,
    dropped: [],
  };
}

const PROMPT = { messages: [{ role: "user", content: "x".repeat(400) }] };

test("a whole stream is charged what its upstream reported", () => {
  expect(streamUsage(streamed({ inputTokens: 11, outputTokens: 12 }, 30, true), PROMPT)).toEqual({
    inputTokens: 11,
    outputTokens: 12,
  });
});

test("an upstream's own 0 stands: a prompt Gemini blocked wrote nothing, however many events the caller got", () => {
  expect(streamUsage(streamed({ inputTokens: 9, outputTokens: 0 }, 0, true, 6), PROMPT)).toEqual({
    inputTokens: 9,
    outputTokens: 0,
  });
});

test("a stream cut short is charged at least a token an upstream event, whatever its start reported", () => {
  // Anthropic's `message_start` says 1 output token; the count comes with `message_delta`.
  expect(streamUsage(streamed({ inputTokens: 11, outputTokens: 1 }, 30, false), PROMPT)).toEqual({
    inputTokens: 11,
    outputTokens: 30,
  });
  // Figures above what was relayed stand.
  expect(streamUsage(streamed({ inputTokens: 11, outputTokens: 40 }, 30, false), PROMPT).outputTokens).toBe(
    40,
  );
});

test("a stream with no figures at all is estimated: the prompt by its length, the answer a token an upstream event, not the caller's events", () => {
  // Three chunks (two of text, the finish): 3 tokens, however many events framed them for the caller.
  for (const events of [3, 8, 10]) {
    const usage = streamUsage(streamed(undefined, 3, true, events), PROMPT);
    expect(usage.outputTokens).toBe(3);
    expect(usage.inputTokens).toBeGreaterThan(50);
  }
});

test("a stream whose upstream reported zeros alone (a server's placeholders) is estimated as one that reported nothing, as a whole answer is", () => {
  const usage = streamUsage(streamed({ inputTokens: 0, outputTokens: 0 }, 3, true, 8), PROMPT);
  expect(usage.outputTokens).toBe(3);
  expect(usage.inputTokens).toBeGreaterThan(50);
});

test("an image in the prompt is estimated at its 1,600 tokens, its base64 never counted as text", () => {
  // A 600 KB photo: 819,200 characters of base64, charged as 204,812 tokens before.
  const photo = "A".repeat(819_200);
  const prompt = {
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "describe" },
          { type: "image_url", image_url: { url: `data:image/jpeg;base64,${photo}` } },
        ],
      },
    ],
  };
  // The client left after the first chunk: no usage came.
  const usage = streamUsage(streamed(undefined, 1, false), prompt);
  expect(usage.inputTokens).toBeGreaterThan(1600);
  expect(usage.inputTokens).toBeLessThan(1620);
});

describe("a stream whose upstream reported no usage tells its caller what it is charged", () => {
  // A chat server that ignores `stream_options` (an older vLLM, Ollama, TGI): two chunks of text
  // and the finish, then `[DONE]` — or, model `unmarked`, the body's end without it; model `held`
  // sends its finish and `[DONE]` only once the test has read the first chunk through the gateway.
  // Model `zeros` sends a usage chunk of zeros of its own (a server's placeholders), `unfinished`
  // its `[DONE]` without the finish chunk, `bare` its `[DONE]` alone; `null-choices` reports its
  // usage in a chunk whose `choices` is null, as MiniMax's API does (OpenAI's is `[]`).
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: "c9", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const answer = chunk({ role: "assistant", content: "Hello" }, null) + chunk({ content: " world" }, null);
  const finish = chunk({}, "stop");
  const zeros = `data: ${JSON.stringify({ id: "c9", object: "chat.completion.chunk", created: 7, model: "up", choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } })}\n\n`;
  const nullChoices = `data: ${JSON.stringify({ id: "c9", object: "chat.completion.chunk", created: 7, model: "up", choices: null, usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } })}\n\n`;
  const encoder = new TextEncoder();
  let dir: string;
  let upstream: ReturnType<typeof Bun.serve>;
  let gateway: Gateway;
  let finished: AuditRecord[];
  let adminKey = "";
  let url = "";
  const release: (() => void)[] = [];

  beforeAll(async () => {
    upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const { model } = (await request.json()) as { model: string };
        if (model === "unmarked") return sse(answer + finish);
        if (model === "zeros") return sse(`${answer}${finish}${zeros}data: [DONE]\n\n`);
        if (model === "unfinished") return sse(`${answer}data: [DONE]\n\n`);
        if (model === "bare") return sse("data: [DONE]\n\n");
        if (model === "null-choices") return sse(`${answer}${finish}${nullChoices}data: [DONE]\n\n`);
        if (model !== "held") return sse(`${answer}${finish}data: [DONE]\n\n`);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(answer));
            release.push(() => {
              controller.enqueue(encoder.encode(`${finish}data: [DONE]\n\n`));
              controller.close();
            });
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
    });
    dir = mkdtempSync(join(tmpdir(), "mindgw-stream-usage-"));
    const routes = ["plain", "unmarked", "held", "zeros", "unfinished", "bare", "null-choices"].map(
      (name) => ({
        name,
        routes: [{ provider: "up", model: name }],
      }),
    );
    const config = parseConfig({
      ...EMBEDDED_DEFAULTS,
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
      models: routes,
    });
    ({ gateway, adminKey, finished } = await recordingGateway(config));
    url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  });

  afterAll(async () => {
    for (const end of release) end();
    await gateway.stop();
    upstream.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  const sse = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });

  /** A streamed call through the gateway: its events' data, parsed, and the record of it. */
  async function streamed(path: string, body: object) {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ stream: true, ...body }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += decoder.decode(read.value, { stream: true });
      // The held upstream goes on once its first chunk has reached the caller.
      if (text.includes("Hello")) for (const end of release.splice(0)) end();
    }
    const events = text
      .split("\n\n")
      .map((event) =>
        event
          .split("\n")
          .find((line) => line.startsWith("data: "))
          ?.slice(6),
      )
      .filter((data) => data !== undefined);
    return { events, record: await recordOf(finished, response) };
  }

  for (const model of ["plain", "unmarked", "held"]) {
    test(`a chat caller that asked for usage gets a usage chunk before [DONE], the tokens its record says (${model})`, async () => {
      const { events, record } = await streamed("/v1/chat/completions", {
        model,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "x".repeat(400) }],
      });
      expect(events.at(-1)).toBe("[DONE]");
      const usage = JSON.parse(events.at(-2) ?? "{}");
      expect(usage).toEqual({
        id: "c9",
        object: "chat.completion.chunk",
        created: 7,
        model: "up",
        choices: [],
        usage: {
          prompt_tokens: record.inputTokens,
          completion_tokens: record.outputTokens,
          total_tokens: record.inputTokens + record.outputTokens,
        },
      });
      // The upstream's three chunks, a token each; the prompt by its length.
      expect([record.outputTokens, record.inputTokens >= 100]).toEqual([3, true]);
    });
  }

  test("an upstream that sent a usage chunk of its own, zeros, is relayed as it came: no second usage chunk after it, and its usage chunk is no token of the answer", async () => {
    const { events, record } = await streamed("/v1/chat/completions", {
      model: "zeros",
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    const usages = events.filter((data) => data.includes('"usage"')).map((data) => JSON.parse(data).usage);
    expect(usages).toEqual([{ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }]);
    expect(events.at(-1)).toBe("[DONE]");
    // Charged the estimate all the same: the three chunks of the answer, a token each, the prompt by its length.
    expect([record.outputTokens, record.inputTokens >= 100]).toEqual([3, true]);
  });

  test("an upstream's usage chunk of zeros is no token of the answer through a translation either: the Messages and Responses callers are told and charged the same 3", async () => {
    const messages = await streamed("/v1/messages", {
      model: "zeros",
      max_tokens: 50,
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    const delta = messages.events
      .map((data) => JSON.parse(data))
      .find((event) => event.type === "message_delta");
    expect([delta.usage.output_tokens, messages.record.outputTokens]).toEqual([3, 3]);
    const responses = await streamed("/v1/responses", { model: "zeros", input: "x".repeat(400) });
    const completed = responses.events
      .map((data) => JSON.parse(data))
      .find((event) => event.type === "response.completed");
    expect([completed.response.usage.output_tokens, responses.record.outputTokens]).toEqual([3, 3]);
  });

  test("a usage chunk owed after a [DONE] with no finish chunk says the stream's id, object, created and model, its first chunk's", async () => {
    const { events, record } = await streamed("/v1/chat/completions", {
      model: "unfinished",
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    expect(events.at(-1)).toBe("[DONE]");
    expect(JSON.parse(events.at(-2) ?? "{}")).toEqual({
      id: "c9",
      object: "chat.completion.chunk",
      created: 7,
      model: "up",
      choices: [],
      usage: {
        prompt_tokens: record.inputTokens,
        completion_tokens: 2,
        total_tokens: record.inputTokens + 2,
      },
    });
    expect(record.outputTokens).toBe(2);
  });

  // `[DONE]` alone holds no answer (routing/relay-scan.ts), as a translation of it never had: no
  // usage chunk is owed to it, the attempt failed before the first byte.
  for (const [path, ask] of [
    ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }],
    ["/v1/completions", { prompt: "hi" }],
    ["/v1/messages", { max_tokens: 20, messages: [{ role: "user", content: "hi" }] }],
  ] as const) {
    test(`a stream of [DONE] alone is the upstream's 502, no usage chunk owed to it (${path})`, async () => {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({
          model: "bare",
          stream: true,
          stream_options: { include_usage: true },
          ...ask,
        }),
      });
      expect([response.status, JSON.stringify(await response.json())]).toEqual([
        502,
        expect.stringContaining("upstream"),
      ]);
    });
  }

  test("a chat caller that did not ask gets no usage chunk, and is charged the same estimate", async () => {
    const { events, record } = await streamed("/v1/chat/completions", {
      model: "plain",
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    expect(events.some((data) => data.includes('"usage"'))).toBe(false);
    expect(record.outputTokens).toBe(3);
  });

  test("a usage chunk whose choices are null (MiniMax) is the usage chunk: cut for a chat caller that did not ask, and read, not refused, through a translation", async () => {
    const prompt = [{ role: "user", content: "x" }];
    const chat = await streamed("/v1/chat/completions", { model: "null-choices", messages: prompt });
    expect([chat.events.some((data) => data.includes('"usage"')), chat.events.at(-1)]).toEqual([
      false,
      "[DONE]",
    ]);
    const messages = await streamed("/v1/messages", {
      model: "null-choices",
      max_tokens: 50,
      messages: prompt,
    });
    const types = messages.events.map((data) => JSON.parse(data).type);
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
    const responses = await streamed("/v1/responses", { model: "null-choices", input: "x" });
    expect(JSON.parse(responses.events.at(-1) ?? "{}").type).toBe("response.completed");
    // The upstream's own figures, on every front door.
    for (const { record } of [chat, messages, responses])
      expect([record.status, record.inputTokens, record.outputTokens]).toEqual([200, 12, 5]);
  });

  test("a Messages caller's message_delta says the estimate its record says, not 0 output tokens", async () => {
    const { events, record } = await streamed("/v1/messages", {
      model: "plain",
      max_tokens: 50,
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    const delta = events.map((data) => JSON.parse(data)).find((event) => event.type === "message_delta");
    expect(delta.usage).toMatchObject({
      input_tokens: record.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: record.outputTokens,
    });
    expect(record.outputTokens).toBe(3);
  });

  test("a Responses caller's response.completed says the estimate its record says, not 0s", async () => {
    const { events, record } = await streamed("/v1/responses", { model: "plain", input: "x".repeat(400) });
    const completed = events
      .map((data) => JSON.parse(data))
      .find((event) => event.type === "response.completed");
    expect(completed.response.usage).toEqual({
      input_tokens: record.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: record.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: record.inputTokens + record.outputTokens,
    });
    expect([record.outputTokens, record.inputTokens >= 100]).toEqual([3, true]);
  });
});
