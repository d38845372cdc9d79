import { expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { streamUsage } from "./stream-usage.ts";

/** A streamed answer that relayed `events` events, reported `usage`, and was whole or not. */
function streamed(usage: Usage, events: number, complete: boolean): Dispatched {
  const chunks: ChunkSource = {
    events,
    complete,
    reported: undefined,
    next: async () => undefined,
    cancel() {},
  };
  return {
    reply: { kind: "stream", chunks },
    route: "provider:a",
    upstreamModel: "m",
    usage: () => usage,
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

test("a stream cut short is charged at least what it relayed, whatever its start reported", () => {
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

test("a stream with no figures at all is estimated: the prompt by its length, the answer by its events", () => {
  const usage = streamUsage(streamed({ inputTokens: 0, outputTokens: 0 }, 7, true), PROMPT);
  expect(usage.outputTokens).toBe(7);
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
  const usage = streamUsage(streamed({ inputTokens: 0, outputTokens: 0 }, 1, false), prompt);
  expect(usage.inputTokens).toBeGreaterThan(1600);
  expect(usage.inputTokens).toBeLessThan(1620);
});
