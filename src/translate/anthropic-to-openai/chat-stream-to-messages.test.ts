import { describe, expect, test } from "bun:test";
import { upstreamError, upstreamTimeout } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { drain, payloads, replay, sseFixture, TRICKY_TEXTS, textChunks } from "../fixtures/load-fixture.ts";
import { estimatedPromptTokens } from "../prompt-estimate.ts";
import { chatResponseToMessages } from "./chat-response-to-messages.ts";
import { chatStreamToMessages } from "./chat-stream-to-messages.ts";
import { MessagesStreamWriter } from "./messages-stream-writer.ts";
import { translate } from "./testing/translate-stream.ts";

// A chat stream as the Messages events an Anthropic caller is sent: text, usage and its estimate,
// refusals, how the stream fails and when events go out. Tool calls:
// chat-stream-to-messages-tools.test.ts.

describe("chatStreamToMessages", () => {
  test("a text delta's bytes are JSON.stringify's of its payload, whatever its text", async () => {
    const out = await translate(textChunks(TRICKY_TEXTS));
    const deltas = out.filter((event) => event.event === "content_block_delta");
    expect(deltas.map((event) => (JSON.parse(event.data) as { delta: { text: string } }).delta.text)).toEqual(
      TRICKY_TEXTS,
    );
    for (const event of deltas) expect(event.data).toBe(JSON.stringify(JSON.parse(event.data)));
  });

  test("text stream: exact event sequence", async () => {
    const out = await translate(sseFixture("openai/chat-text.sse.txt"));
    for (const event of out) expect(event.event).toBe((JSON.parse(event.data) as { type: string }).type);
    const body = payloads(out);
    expect(out.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      ...Array(9).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(body[0]).toEqual({
      type: "message_start",
      message: {
        id: "msg_BxT1kq8ZsWbVfN2mYc4Lr7Ua",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // As Anthropic's own message_start says it: the cache figures 0 until known.
        usage: {
          input_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          output_tokens_details: null,
          server_tool_use: null,
          service_tier: "standard",
          inference_geo: null,
          speed: null,
        },
      },
    });
    expect(body[2]).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    expect(body[3]).toEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "Hello" },
    });
    expect(body.at(-2)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: {
        input_tokens: 19,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 10,
        output_tokens_details: null,
        server_tool_use: null,
      },
    });
    expect(body.at(-1)).toEqual({ type: "message_stop" });
  });

  test("the usage chunk with choices null or left out (MiniMax, servers of include_usage's shape) ends the answer as choices [] does", async () => {
    const events = sseFixture("openai/chat-text.sse.txt");
    const expected = payloads(await translate(events));
    for (const choices of [null, undefined]) {
      const reshaped = events.map((event) => {
        if (!event.data.includes('"usage":{')) return event;
        const { choices: _, ...rest } = JSON.parse(event.data) as Record<string, unknown>;
        return { ...event, data: JSON.stringify(choices === null ? { ...rest, choices } : rest) };
      });
      expect(payloads(await translate(reshaped))).toEqual(expected);
    }
  });

  test("message_start states the prompt's estimated input where the upstream says it only at the end", async () => {
    // LangChain's ChatAnthropic reads input tokens from message_start alone.
    const events = sseFixture("openai/chat-text.sse.txt");
    const out = payloads(
      await drain(chatStreamToMessages(replay(events), { requestedModel: "m", promptTokens: () => 42 })),
    ) as { type: string; message?: { usage: object }; usage?: object }[];
    expect(out[0]?.message?.usage).toEqual({
      input_tokens: 42,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: "standard",
      inference_geo: null,
      speed: null,
    });
    // The upstream's own figures in message_delta, as before.
    const plain = payloads(await translate(events)) as typeof out;
    expect(out.at(-2)?.usage).toEqual(plain.at(-2)?.usage);
  });

  test("message_start's estimate counts an image at its 1,600 tokens, never its base64 as text", async () => {
    // A 600 KB photo, 819,200 characters of base64: message_start said 204,809 input tokens.
    const photo = { type: "base64", media_type: "image/jpeg", data: "A".repeat(819_200) };
    const body = {
      model: "m",
      max_tokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what?" },
            { type: "image", source: photo },
          ],
        },
      ],
    };
    const events = sseFixture("openai/chat-text.sse.txt");
    const promptTokens = () => estimatedPromptTokens(body);
    const out = payloads(
      await drain(chatStreamToMessages(replay(events), { requestedModel: "m", promptTokens })),
    ) as { message?: { usage: { input_tokens: number } } }[];
    const input = out[0]?.message?.usage.input_tokens ?? 0;
    expect([input > 1600, input < 1620]).toEqual([true, true]);
  });

  test("refusal deltas are the text, and the message ends with stop_reason refusal", async () => {
    const writer = new MessagesStreamWriter("m");
    const refusal = (text: string) => ({ id: "c", choices: [{ index: 0, delta: { refusal: text } }] });
    const events = [
      ...writer.start({ id: "c", choices: [] }),
      ...writer.chunk(refusal("I'm sorry, ")),
      ...writer.chunk(refusal("I can't help with that.")),
      ...writer.chunk({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
      ...writer.finish(),
    ];
    const body = payloads(events) as { type: string; delta?: { text?: string; stop_reason?: string } }[];
    const text = body.filter((e) => e.type === "content_block_delta").map((e) => e.delta?.text);
    expect(text.join("")).toBe("I'm sorry, I can't help with that.");
    expect(body.find((e) => e.type === "message_delta")?.delta?.stop_reason).toBe("refusal");
  });

  test("text is written as it arrives: only whitespace that could start a block waits", () => {
    const writer = new MessagesStreamWriter("m");
    const chunk = (content: string) => ({ id: "c", choices: [{ index: 0, delta: { content } }] });
    const types = (events: SseEvent[]) => events.map((e) => e.event);
    expect(writer.chunk(chunk("\n"))).toEqual([]);
    expect(types(writer.chunk(chunk("Hi")))).toEqual(["content_block_start", "content_block_delta"]);
    // Inside a text block whitespace is text like any other.
    expect(types(writer.chunk(chunk("\n\n")))).toEqual(["content_block_delta"]);
  });

  test("an upstream error chunk mid-stream becomes an Anthropic error event", async () => {
    const out = await translate(sseFixture("openai/chat-error-midstream.sse.txt"));
    const last = out.at(-1);
    expect(last?.event).toBe("error");
    expect(JSON.parse(last?.data ?? "")).toEqual({
      type: "error",
      error: {
        type: "api_error",
        message: "The server had an error while processing your request. Sorry about that!",
      },
    });
    expect(out.some((e) => e.event === "message_stop")).toBe(false);
  });

  test("a thrown GatewayError is rethrown, before or after the first event", async () => {
    // After the first event the front door turns it into the Anthropic `error` event, with
    // the error's own class in the audit row.
    const events = sseFixture("openai/chat-text.sse.txt");
    const late = await translate(events, { count: 3, error: upstreamTimeout("idle timeout") });
    expect(late.failure?.code).toBe("upstream_timeout");
    expect(JSON.parse(late.at(-1)?.data ?? "")).toEqual({
      type: "error",
      error: { type: "timeout_error", message: "idle timeout" },
    });
    await expect(translate(events, { count: 0, error: upstreamError("refused") })).rejects.toThrow("refused");
  });

  test("another failure after the first event becomes an error event", async () => {
    const out = await translate(sseFixture("openai/chat-text.sse.txt"), {
      count: 3,
      error: new Error("socket hang up"),
    });
    expect(JSON.parse(out.at(-1)?.data ?? "")).toEqual({
      type: "error",
      error: { type: "api_error", message: "upstream stream failed" },
    });
  });

  test("a stream that ends without a finish_reason is reported, not completed", async () => {
    const out = await translate(sseFixture("openai/chat-text.sse.txt").slice(0, 4));
    expect(out.at(-1)?.event).toBe("error");
  });

  test("events are produced as input arrives, not after the stream ends", async () => {
    const events = sseFixture("openai/chat-text.sse.txt");
    // The rest of the stream waits until the test has its first event: a translator that read
    // to the end first would never produce it (the test's own timeout bounds that failure).
    const gate = Promise.withResolvers<void>();
    let released = false;
    async function* upstream() {
      yield events[0] as SseEvent;
      yield events[1] as SseEvent;
      await gate.promise;
      released = true;
      yield* events.slice(2);
    }
    const iterator = chatStreamToMessages(upstream(), { requestedModel: "m" }).events[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.event).toBe("message_start");
    expect(released).toBe(false);
    gate.resolve();
    await iterator.return?.(undefined);
  });
});

describe("an answer vLLM's engine broke off (finish_reason abort, then [DONE])", () => {
  // vLLM ends a request its engine aborted (a shutdown, a pause, scale-down) as a finished one.
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    data: JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      model: "qwen",
      choices: [{ index: 0, delta, finish_reason: finish }],
    }),
  });
  const aborted = [
    chunk({ role: "assistant", content: "The answer is" }, null),
    chunk({}, "abort"),
    { data: "[DONE]" },
  ];

  test("fails as cut short, where it ended end_turn as if the answer were whole", async () => {
    const out = await translate(aborted);
    expect(out.map((event) => event.event)).not.toContain("message_stop");
    expect(out.at(-1)?.event).toBe("error");
    expect(JSON.parse(out.at(-1)?.data ?? "")).toEqual({
      type: "error",
      error: { type: "api_error", message: "upstream broke off its answer (finish_reason abort)" },
    });
  });

  test("a whole answer so ended fails alike", () => {
    const body = {
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "qwen",
      choices: [
        { index: 0, message: { role: "assistant", content: "The answer is" }, finish_reason: "abort" },
      ],
    };
    expect(() => chatResponseToMessages(body, "claude-x")).toThrow("abort");
  });
});
