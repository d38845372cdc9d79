import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { collect, payloads, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";
import { googleErrors } from "./testing/gemini-fixture.ts";

// Gemini's event streams as chat chunks: several candidates, errors in the stream, finishes, usage.

describe("Gemini → chat: streams", () => {
  test("n: 2 streamed: each candidate is its own choice by Gemini's index, its text, calls and finish its own", async () => {
    // candidateCount 2: Gemini streams both, each event carrying the candidates that moved on
    // (here the second alone, first in its list), each with its index.
    const events = [
      {
        candidates: [
          { index: 0, content: { role: "model", parts: [{ text: "Par" }] } },
          { index: 1, content: { role: "model", parts: [{ text: "Lyon" }] } },
        ],
      },
      {
        candidates: [
          {
            index: 1,
            content: { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
            finishReason: "STOP",
          },
        ],
      },
      {
        candidates: [{ index: 0, content: { role: "model", parts: [{ text: "is" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 6 },
      },
    ];
    const writer = new GeminiChunkWriter("c", "g", false);
    const out = payloads(
      await collect(
        translateStream(
          replay(events.map((event) => ({ data: JSON.stringify(event) }))),
          geminiEventReader(),
          writer,
        ).events,
      ),
    );
    type Choice = {
      index: number;
      delta: { content?: string; tool_calls?: { index: number }[] };
      finish_reason: string | null;
    };
    const choices = out.flatMap((p) => (p as { choices?: Choice[] }).choices ?? []);
    const of = (index: number) => choices.filter((c) => c.index === index);
    expect(
      of(0)
        .map((c) => c.delta.content ?? "")
        .join(""),
    ).toBe("Paris");
    expect(
      of(1)
        .map((c) => c.delta.content ?? "")
        .join(""),
    ).toBe("Lyon");
    expect(
      of(1)
        .flatMap((c) => c.delta.tool_calls ?? [])
        .map((call) => call.index),
    ).toEqual([0]);
    expect(choices.filter((c) => c.finish_reason !== null).map((c) => [c.index, c.finish_reason])).toEqual([
      [0, "stop"],
      [1, "tool_calls"],
    ]);
  });

  test("n: 2 streamed: one candidate's filter or failed finish, once a choice has written, closes that choice (content_filter; a failure's stop) while the other's answer goes on; nothing written yet, it still fails", async () => {
    type Choice = { index: number; delta: { content?: string }; finish_reason: string | null };
    const stream = (events: object[], answers: number) =>
      translateStream(
        replay(events.map((event) => ({ data: JSON.stringify(event) }))),
        geminiEventReader(),
        new GeminiChunkWriter("c", "g", false, undefined, undefined, answers),
      );
    const candidate = (index: number, text: string, finishReason?: string) => ({
      index,
      content: { role: "model", parts: text ? [{ text }] : [] },
      ...(finishReason ? { finishReason } : {}),
    });
    for (const [reason, finish] of [
      ["SAFETY", "content_filter"],
      ["PROHIBITED_CONTENT", "content_filter"],
      ["OTHER", "stop"],
      ["MALFORMED_FUNCTION_CALL", "stop"],
    ] as const) {
      const events = [
        { candidates: [candidate(0, "Par"), candidate(1, "Ly")] },
        { candidates: [candidate(1, "", reason), candidate(0, "is")] },
        { candidates: [candidate(0, " it is", "STOP")], usageMetadata: { promptTokenCount: 5 } },
      ];
      const choices = payloads(await collect(stream(events, 2).events)).flatMap(
        (p) => (p as { choices?: Choice[] }).choices ?? [],
      );
      const text = (index: number) =>
        choices
          .filter((c) => c.index === index)
          .map((c) => c.delta.content ?? "")
          .join("");
      expect([text(0), text(1)]).toEqual(["Paris it is", "Ly"]);
      expect(choices.filter((c) => c.finish_reason !== null).map((c) => [c.index, c.finish_reason])).toEqual([
        [0, "stop"],
        [1, finish],
      ]);
    }
    // Nothing written before the failed finish (its first event): it fails, and the route may fail over.
    const first = [{ candidates: [candidate(0, "Par"), candidate(1, "", "OTHER")] }];
    const failure = await collect(stream(first, 2).events).catch((e: unknown) => e);
    expect((failure as GatewayError).message).toBe(
      "the model stopped for an unspecified reason (Gemini finishReason OTHER)",
    );
    // n: 1 keeps failing mid-stream: its one answer is the one that failed.
    const one = [{ candidates: [candidate(0, "Par")] }, { candidates: [candidate(0, "", "OTHER")] }];
    expect(await collect(stream(one, 1).events).catch((e: unknown) => e)).toBeInstanceOf(GatewayError);
  });

  test("a recorded stream: text deltas, the finish chunk, usage from the last event", async () => {
    const writer = new GeminiChunkWriter("c", "g", true);
    const events = replay(sseFixture("gemini/stream-text.sse.txt"));
    const out = payloads(await collect(translateStream(events, geminiEventReader(), writer).events));
    const text = out
      .flatMap((p) => (p as { choices?: { delta?: { content?: string } }[] }).choices ?? [])
      .map((c) => c.delta?.content ?? "")
      .join("");
    expect(text).toBe("The capital of France is Paris.");
    expect(out.at(-3)).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
    expect(out.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 31 } });
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("Google's error object mid-stream: a 429 stays one with RetryInfo's delay; no Google body reaches the caller", async () => {
    const head = sseFixture("gemini/stream-text.sse.txt").slice(0, 1);
    const errorEvent = (name: string) => ({ data: JSON.stringify(googleErrors[name]) });
    for (const [name, status] of [
      ["rateLimited", 429],
      ["unavailable", 502],
    ] as const) {
      const writer = new GeminiChunkWriter("c", "g", false);
      const stream = translateStream(replay([...head, errorEvent(name)]), geminiEventReader(), writer);
      const failure = await collect(stream.events).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).status).toBe(status);
      const wire = JSON.parse(stream.failureEvents(failure as GatewayError)[0]?.data ?? "");
      // UNAVAILABLE is an overload: OpenAI's own type for one (core/overload.ts).
      expect(wire.error.type).toBe(status === 429 ? "rate_limit_error" : "service_unavailable_error");
      expect(wire.error).not.toHaveProperty("status");
    }
    const writer = new GeminiChunkWriter("c", "g", false);
    const limited = await collect(
      translateStream(replay([errorEvent("rateLimited")]), geminiEventReader(), writer).events,
    ).catch((e: unknown) => e);
    expect((limited as GatewayError).headers).toEqual({ "retry-after": "12" });
  });

  test("a stream whose last event ends with a finishReason the gateway does not know closes the answer it wrote (stop), where it was an error event after the whole answer", async () => {
    const event = (parts: object[], finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 },
      }),
    });
    const told: string[] = [];
    const writer = new GeminiChunkWriter("c", "g", false, undefined, (field, reason) =>
      told.push(`${field} ${reason}`),
    );
    const written = await collect(
      translateStream(
        replay([event([{ text: "The whole " }]), event([{ text: "answer." }], "A_NEWER_REASON")]),
        geminiEventReader(),
        writer,
      ).events,
    );
    const finishes = payloads(written).flatMap(
      (chunk) =>
        (chunk as { choices?: Array<{ finish_reason: string | null }> }).choices?.map(
          (c) => c.finish_reason,
        ) ?? [],
    );
    expect(finishes.at(-1)).toBe("stop");
    expect(told).toEqual(["Gemini finishReason A_NEWER_REASON"]);
  });

  test("a stream without a finishReason is an upstream failure", async () => {
    const events = sseFixture("gemini/stream-text.sse.txt").slice(0, 2);
    const writer = new GeminiChunkWriter("c", "g", false);
    await expect(
      collect(translateStream(replay(events), geminiEventReader(), writer).events),
    ).rejects.toThrow("ended the stream before the answer was complete");
  });

  test("the usage Google states is told as it is read, once a change: a stream cut short or failing mid-way keeps it", async () => {
    // As Gemini streams: the prompt's tokens in every event, the whole count with the last.
    const event = (text: string, usageMetadata: object, finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [
          { content: { role: "model", parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) },
        ],
        usageMetadata,
      }),
    });
    const soFar = { promptTokenCount: 5000, totalTokenCount: 5000 };
    const whole = {
      promptTokenCount: 5000,
      candidatesTokenCount: 400,
      thoughtsTokenCount: 100,
      totalTokenCount: 5500,
    };
    const told: Usage[] = [];
    const cut = new Error("connection reset");
    const stream = translateStream(
      replay([event("Hello", soFar), event(" there", soFar), event("!", whole, "STOP")], {
        count: 2,
        error: cut,
      }),
      geminiEventReader(),
      new GeminiChunkWriter("c", "g", true),
      (usage) => told.push(usage),
    );
    await expect(collect(stream.events)).rejects.toThrow();
    // The second event repeats the first's figures: nothing more to tell, nothing converted.
    expect(told).toEqual([{ inputTokens: 5000, outputTokens: 0 }]);

    // A turn that fails after its text (MALFORMED_FUNCTION_CALL): Google's whole count is told
    // before the failure is thrown, as its usage is the answer's.
    told.length = 0;
    const failing = translateStream(
      replay([event("Let me ", soFar), event("", whole, "MALFORMED_FUNCTION_CALL")]),
      geminiEventReader(),
      new GeminiChunkWriter("c", "g", true),
      (usage) => told.push(usage),
    );
    const failure = await collect(failing.events).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(told).toEqual([
      { inputTokens: 5000, outputTokens: 0 },
      { inputTokens: 5000, outputTokens: 500, reasoningTokens: 100 },
    ]);
  });
});
