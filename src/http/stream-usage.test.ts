import { expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
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
