import { describe, expect, test } from "bun:test";
import { core, z } from "zod";
import type { JsonObject } from "../core/dialect.ts";
import { acceptsUnchanged, CHECKED_ZOD, isCheckedZod } from "./accepts-unchanged.ts";
import { anthropicSchemas } from "./anthropic-schema.ts";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import { openAISchemas } from "./openai-schema.ts";
import { converseResponse, converseStreamPayload } from "./openai-to-bedrock/converse-schema.ts";
import { geminiResponse } from "./openai-to-gemini/gemini-schema.ts";
import { responsesSchemas } from "./responses/responses-schema.ts";

const {
  request: anthropicRequest,
  response: anthropicResponse,
  streamEvent: anthropicStreamEvent,
} = anthropicSchemas();
const {
  chatRequest: openAIChatRequest,
  chatResponse: openAIChatResponse,
  chunk: openAIChunk,
} = openAISchemas();
const { item: responsesItem, request: responsesRequest } = responsesSchemas();

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

/**
 * The verdict must be zod's answer wherever it gives one: taken and read unchanged (no field
 * added, not even an undefined one), or refused.
 */
function verdictAgrees(schema: z.ZodType, value: unknown): boolean | undefined {
  const verdict = acceptsUnchanged(schema, value);
  const judged = schema.safeParse(value);
  if (verdict === false) expect(judged.success).toBe(false);
  if (verdict === true) {
    expect(judged.success).toBe(true);
    expect(judged.data).toStrictEqual(value as object);
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

  test("is checked against the zod installed; under another release it judges nothing", () => {
    // A new zod release: run these tests against it, then move CHECKED_ZOD to it.
    expect(`${core.version.major}.${core.version.minor}.${core.version.patch}`).toBe(CHECKED_ZOD);
    expect(isCheckedZod(core.version)).toBe(true);
    expect(isCheckedZod({ ...core.version, patch: core.version.patch + 1 })).toBe(false);
    expect(isCheckedZod({ ...core.version, minor: core.version.minor + 1, patch: 0 })).toBe(false);
  });

  test("leaves to zod a subclass of a kind it knows, a check on any kind, an unknown catchall", () => {
    const exact = z.looseObject({ a: z.exactOptional(z.string()) });
    expect(verdictAgrees(exact, { a: undefined })).toBeUndefined();
    // Absent, it is left out as any optional field is.
    expect(verdictAgrees(exact, {})).toBe(true);
    expect(
      verdictAgrees(
        z.unknown().refine(() => false),
        1,
      ),
    ).toBeUndefined();
    expect(
      verdictAgrees(
        z.lazy(() => z.string()).refine(() => false),
        "x",
      ),
    ).toBeUndefined();
    expect(verdictAgrees(z.number().lt(3), 1)).toBeUndefined();
    expect(
      verdictAgrees(z.looseObject({}).catchall(z.unknown().refine(() => false)), { b: 1 }),
    ).toBeUndefined();
    expect(verdictAgrees(z.partialRecord(z.string(), z.number()), { a: 1 })).toBeUndefined();
  });

  test("an own __proto__ field (JSON.parse makes one), which zod leaves out of its copy, is zod's", () => {
    const body = JSON.parse('{"a":"x","__proto__":{"b":1}}');
    expect(verdictAgrees(z.looseObject({ a: z.string() }), body)).toBeUndefined();
    expect(verdictAgrees(z.record(z.string(), z.unknown()), body)).toBeUndefined();
    expect(verdictAgrees(z.array(z.looseObject({})), [body])).toBeUndefined();
  });

  test("a TypeScript enum: its values, not its names", () => {
    enum Level {
      Low,
      High,
    }
    expect(verdictAgrees(z.enum(Level), 1)).toBe(true);
    expect(verdictAgrees(z.enum(Level), "High")).toBe(false);
  });

  test("an absent field: left out when optional, refused when zod runs it on undefined and refuses", () => {
    const either = z.xor([z.string().optional(), z.number().optional()]);
    // Refused on undefined (both options take it), left out when absent.
    expect(verdictAgrees(either, undefined)).toBe(false);
    expect(verdictAgrees(z.looseObject({ a: either }), {})).toBe(true);
    expect(verdictAgrees(z.looseObject({ a: z.string().optional() }), {})).toBe(true);
    expect(verdictAgrees(z.looseObject({ a: z.string() }), {})).toBe(false);
    expect(verdictAgrees(z.looseObject({ a: z.string().default("x") }), {})).toBeUndefined();
  });

  /** Every kind judged here (and some not), each met with every value: zod's answer or none. */
  const KINDS: z.ZodType[] = [
    z.unknown(),
    z.any(),
    z.string(),
    z.boolean(),
    z.number(),
    z.number().int().nonnegative(),
    z.int(),
    z.literal(["a", 1]),
    z.enum(["a", "b"]),
    z.string().optional(),
    z.string().nullable(),
    z.lazy(() => z.array(z.string())),
    z.object({ a: z.string(), b: z.number().optional() }),
    z.looseObject({ a: z.string(), b: z.number().optional() }),
    z.strictObject({ a: z.string() }),
    z.looseObject({}).catchall(z.string()),
    z.array(z.union([z.string(), z.number()])),
    z.union([z.looseObject({ a: z.string() }), z.object({ a: z.number() })]),
    z.discriminatedUnion("t", [
      z.looseObject({ t: z.literal("a") }),
      z.looseObject({ t: z.literal("b"), n: z.number() }),
    ]),
    z.xor([z.number(), z.number().int()]),
    z.record(z.string(), z.number()),
    z.record(z.string(), z.unknown()),
    z.string().min(1),
    z.string().default("x"),
    z.string().transform((s) => s.length),
  ];
  const VALUES: unknown[] = [
    undefined,
    ...REPLACEMENTS.filter((value) => value !== DELETE),
    "a",
    "b",
    ["a", 1],
    [null],
    { a: "x" },
    { a: 1 },
    { a: "x", b: 2 },
    { a: "x", b: "y" },
    { a: "x", c: true },
    { t: "a" },
    { t: "b", n: 1 },
    { t: "b" },
    { t: "c" },
    JSON.parse('{"a":"x","__proto__":1}'),
  ];
  test.each(KINDS.map((schema, i) => [schema._zod.def.type, i, schema] as const))(
    "a %s (kind %d): zod's answer or none, on every value, alone, as a field and as an item",
    (_type, _i, schema) => {
      for (const value of VALUES) verdictAgrees(schema, value);
      for (const value of VALUES) verdictAgrees(z.looseObject({ f: schema }), { f: value });
      for (const value of VALUES) verdictAgrees(z.array(schema), [value]);
    },
  );
});
