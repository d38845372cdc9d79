import { describe, expect, test } from "bun:test";
import { upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { drain, payloads, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { messagesStreamToChat } from "./messages-stream-to-chat.ts";

type Chunk = {
  choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null; [k: string]: unknown }>;
  [k: string]: unknown;
};

const translate = (
  events: SseEvent[],
  includeUsage = true,
  failAfter?: { count: number; error: Error },
  thinkingBack = false,
) =>
  drain(
    messagesStreamToChat(replay(events, failAfter), {
      requestedModel: "gpt-x",
      includeUsage,
      created: 7,
      thinkingBack,
    }),
  );

describe("messagesStreamToChat", () => {
  test("text stream: role chunk, content deltas, finish chunk, usage chunk, [DONE]", async () => {
    const out = await translate(sseFixture("anthropic/message-text.sse.txt"));
    expect(out.every((e) => e.event === undefined)).toBe(true);
    const body = payloads(out) as Chunk[];
    expect(body[0]).toEqual({
      id: "chatcmpl-01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion.chunk",
      created: 7,
      model: "gpt-x",
      choices: [
        {
          index: 0,
          delta: { role: "assistant", content: "", refusal: null },
          logprobs: null,
          finish_reason: null,
        },
      ],
      usage: null,
    });
    expect(body.slice(1, 4).map((c) => c.choices[0]?.delta.content)).toEqual([
      "Hello",
      "! How can I",
      " help you today?",
    ]);
    expect(body[4]?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(body[5]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 21, completion_tokens: 12, total_tokens: 33 },
    });
    expect(out[6]?.data).toBe("[DONE]");
    expect(body).toHaveLength(7);
  });

  test("no usage chunk unless include_usage", async () => {
    const body = payloads(await translate(sseFixture("anthropic/message-text.sse.txt"), false)) as Chunk[];
    expect(body.some((c) => typeof c === "object" && "usage" in c)).toBe(false);
    expect(body.at(-1) as unknown).toBe("[DONE]");
  });

  test("tool_use blocks → tool_calls deltas: index/id/name first, then argument fragments", async () => {
    const body = payloads(await translate(sseFixture("anthropic/message-tool-use.sse.txt"))) as Chunk[];
    const calls = body.flatMap((c) =>
      Array.isArray(c.choices) ? ((c.choices[0]?.delta.tool_calls as unknown[]) ?? []) : [],
    );
    expect(calls[0]).toEqual({
      index: 0,
      id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    const argsOf = (index: number) =>
      (calls as Array<{ index: number; id?: string; function: { arguments: string } }>)
        .filter((c) => c.index === index && c.id === undefined)
        .map((c) => c.function.arguments);
    expect(argsOf(0)).toHaveLength(5); // empty fragments are not forwarded
    expect(JSON.parse(argsOf(0).join(""))).toEqual({ location: "Paris, France", unit: "celsius" });
    expect(JSON.parse(argsOf(1).join(""))).toEqual({ location: "Tokyo, Japan", unit: "celsius" });
    const finish = body.find((c) => typeof c === "object" && c.choices?.[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.at(-2)).toMatchObject({
      usage: { prompt_tokens: 572, prompt_tokens_details: { cached_tokens: 100 } },
    });
  });

  test("an Anthropic error event mid-stream becomes OpenAI's in-stream error, without [DONE]", async () => {
    const out = await translate(sseFixture("anthropic/message-error.sse.txt"));
    expect(JSON.parse(out.at(-1)?.data ?? "")).toEqual({
      error: {
        message: "Overloaded",
        type: "service_unavailable_error",
        param: null,
        code: "server_is_overloaded",
      },
    });
    expect(out.some((e) => e.data === "[DONE]")).toBe(false);
  });

  test("failures before the first chunk are thrown so the router can fail over; later ones keep their class", async () => {
    const events = sseFixture("anthropic/message-error.sse.txt");
    await expect(translate(events.slice(4))).rejects.toThrow("Overloaded");
    await expect(translate(events, true, { count: 0, error: upstreamError("reset") })).rejects.toThrow(
      "reset",
    );
    // After output began, a GatewayError is rethrown for the front door to report (and audit).
    const late = await translate(events, true, { count: 2, error: upstreamError("reset") });
    expect(late.failure?.message).toBe("reset");
  });

  test("a stream cut before its stop reason (message_delta) is reported as an error", async () => {
    const out = await translate(sseFixture("anthropic/message-text.sse.txt").slice(0, 5));
    expect(JSON.parse(out.at(-1)?.data ?? "")).toHaveProperty("error");
  });

  test("an upstream that takes its thinking back (DeepSeek's /anthropic): thinking deltas are reasoning_content deltas before the call, a signature delta none", async () => {
    const events = sseFixture("anthropic/deepseek-thinking-tool-use.sse.txt");
    const body = payloads(await translate(events, true, undefined, true)) as Chunk[];
    const deltas = body.flatMap((c) => c.choices?.map((choice) => choice.delta) ?? []);
    expect(deltas.slice(0, 3)).toEqual([
      { role: "assistant", content: "", refusal: null },
      { reasoning_content: "The user wants the files." },
      { reasoning_content: " I should run ls." },
    ]);
    expect(deltas[3]?.tool_calls).toMatchObject([{ index: 0, id: "call_00_hJ2XkqnVw1sLZ3" }]);
    // The signature delta made no chunk: the call's two argument fragments, then the finish.
    expect(deltas).toHaveLength(7);
    // Claude's (no thinking back): the same chunks but those two, as before.
    const claude = payloads(await translate(events)) as Chunk[];
    expect(claude).toEqual(body.filter((c) => !c.choices?.[0]?.delta.reasoning_content));
  });

  test("a stream that gave its stop reason but no message_stop is whole: the same chunks, [DONE] last", async () => {
    const events = sseFixture("anthropic/message-text.sse.txt");
    expect(events.at(-1)?.event).toBe("message_stop");
    const whole = await translate(events);
    expect(await translate(events.slice(0, -1))).toEqual(whole);
    expect(whole.at(-1)?.data).toBe("[DONE]");
  });
});
