import { describe, expect, test } from "bun:test";
import { z } from "zod";
import type { JsonObject } from "../core/dialect.ts";
import { acceptsUnchanged } from "./accepts-unchanged.ts";
import { anthropicRequest, anthropicResponse, anthropicStreamEvent } from "./anthropic-schema.ts";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import { openAIChatRequest, openAIChatResponse, openAIChunk } from "./openai-schema.ts";
import { converseResponse, converseStreamPayload } from "./openai-to-bedrock/converse-schema.ts";
import { geminiResponse } from "./openai-to-gemini/gemini-schema.ts";
import { responsesItem, responsesRequest } from "./responses/responses-schema.ts";

const client = (name: string) => jsonFixture(`clients/${name}.json`).body as JsonObject;
const events = (name: string) =>
  sseFixture(name)
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data));
const chatRequest = {
  model: "m",
  messages: [
    { role: "system", content: "be brief" },
    {
      role: "user",
      content: [
        { type: "text", text: "hi" },
        { type: "image_url", image_url: { url: "data:x" } },
      ],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "t", content: "42" },
  ],
  tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
  tool_choice: "auto",
  max_tokens: 64,
  stream: true,
  stop: ["x"],
};

/** Each schema the translators read with, and recorded bodies it meets. */
const CASES: [string, z.ZodType, unknown[]][] = [
  ["anthropicRequest", anthropicRequest, [client("claude-code-2.1.328-default")]],
  [
    "responsesRequest",
    responsesRequest,
    [client("codex-0.169.0-default"), client("codex-0.169.0-gpt-5.5"), client("openai-agents-0.20.0")],
  ],
  ["responsesItem", responsesItem, (client("codex-0.169.0-gpt-5.5").input as unknown[]).slice(0, 4)],
  ["openAIChatRequest", openAIChatRequest, [chatRequest]],
  [
    "openAIChatResponse",
    openAIChatResponse,
    [jsonFixture("openai/chat-text.json"), jsonFixture("openai/chat-tool-calls.json")],
  ],
  [
    "anthropicResponse",
    anthropicResponse,
    [jsonFixture("anthropic/message-text.json"), jsonFixture("anthropic/message-tool-use.json")],
  ],
  [
    "anthropicStreamEvent",
    anthropicStreamEvent,
    [...events("anthropic/message-tool-use.sse.txt"), ...events("anthropic/message-error.sse.txt")],
  ],
  ["openAIChunk", openAIChunk, events("openai/chat-tool-calls.sse.txt")],
  [
    "geminiResponse",
    geminiResponse,
    [...events("gemini/stream-text.sse.txt"), jsonFixture("gemini/generate-content-tool.json")],
  ],
  [
    "converseStreamPayload",
    converseStreamPayload,
    (jsonFixture("bedrock/converse-stream-tool-use.json") as unknown as { payload: unknown }[]).map(
      (e) => e.payload,
    ),
  ],
  ["converseResponse", converseResponse, [jsonFixture("bedrock/converse-tool-use.json")]],
];

/** The verdict must be zod's answer wherever it gives one: taken and read unchanged, or refused. */
function verdictAgrees(schema: z.ZodType, value: unknown): boolean | undefined {
  const verdict = acceptsUnchanged(schema, value);
  const judged = schema.safeParse(value);
  if (verdict === false) expect(judged.success).toBe(false);
  if (verdict === true) {
    expect(judged.success).toBe(true);
    expect(judged.data).toEqual(value as object);
  }
  return verdict;
}

/** Every path into a JSON value (objects' keys, arrays' indexes), at most `cap`, spread evenly. */
function pathsOf(value: unknown, cap: number): (string | number)[][] {
  const all: (string | number)[][] = [];
  const walk = (at: unknown, path: (string | number)[]) => {
    if (Array.isArray(at))
      at.forEach((item, i) => {
        all.push([...path, i]);
        walk(item, [...path, i]);
      });
    else if (typeof at === "object" && at !== null)
      for (const [key, item] of Object.entries(at)) {
        all.push([...path, key]);
        walk(item, [...path, key]);
      }
  };
  walk(value, []);
  const step = Math.max(1, Math.floor(all.length / cap));
  return all.filter((_, i) => i % step === 0);
}

/** `value` with the thing at `path` replaced (or, for `DELETE`, removed). */
const DELETE = Symbol("delete");
function mutated(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value);
  let at = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (replacement === DELETE) {
    if (Array.isArray(at)) at.splice(last as number, 1);
    else delete at[last];
  } else at[last] = replacement;
  return copy;
}

const REPLACEMENTS: unknown[] = [
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  "text",
  "",
  true,
  [],
  {},
  [1],
  { type: "x" },
  DELETE,
];

describe("acceptsUnchanged", () => {
  test.each(CASES)("takes the recorded bodies %s meets, as zod reads them", (_name, schema, bodies) => {
    for (const body of bodies) expect(verdictAgrees(schema, body)).toBe(true);
  });

  test.each(CASES)(
    "agrees with zod on %s's bodies with a field changed or removed",
    (_name, schema, bodies) => {
      let judged = 0;
      let tried = 0;
      for (const body of bodies)
        for (const path of pathsOf(body, 120))
          for (const replacement of REPLACEMENTS) {
            tried++;
            if (verdictAgrees(schema, mutated(body, path, replacement)) !== undefined) judged++;
          }
      // Most changes are judged here, not handed to zod.
      expect(judged / tried).toBeGreaterThan(0.5);
    },
  );

  test("leaves to zod what it does not know: a string check, a default, a strip object with more fields", () => {
    expect(acceptsUnchanged(z.string().min(1), "a")).toBeUndefined();
    expect(acceptsUnchanged(z.number().default(1), 2)).toBeUndefined();
    expect(acceptsUnchanged(z.object({ a: z.string() }), { a: "x", b: 1 })).toBeUndefined();
    expect(acceptsUnchanged(z.object({ a: z.string() }), { a: "x" })).toBe(true);
    expect(
      acceptsUnchanged(
        z.looseObject({ a: z.string() }).refine(() => true),
        { a: "x" },
      ),
    ).toBeUndefined();
  });

  test("numbers: int stops at the safe integers, positive refuses 0, infinities are refused", () => {
    const count = z.number().int().positive();
    expect(verdictAgrees(count, 3)).toBe(true);
    expect(verdictAgrees(count, 0)).toBe(false);
    expect(verdictAgrees(count, 2 ** 53)).toBe(false);
    expect(verdictAgrees(count, 1.5)).toBe(false);
    expect(verdictAgrees(z.number(), Number.POSITIVE_INFINITY)).toBe(false);
    expect(verdictAgrees(z.int(), 2 ** 53)).toBe(false);
  });

  test("unions: the first option that takes it; an exclusive one refuses a value two options take", () => {
    expect(verdictAgrees(z.union([z.string(), z.number()]), 1)).toBe(true);
    expect(verdictAgrees(z.xor([z.number(), z.number().int()]), 1)).toBe(false);
    expect(verdictAgrees(z.xor([z.number(), z.number().int()]), 1.5)).toBe(true);
  });
});
