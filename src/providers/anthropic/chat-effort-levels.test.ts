import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { jsonFixture } from "../../translate/fixtures/load-fixture.ts";

// A chat caller's `reasoning_effort` on an Anthropic route, as the level the route's Claude takes.
// Anthropic's effort page: Opus 4.5 takes low, medium and high; Opus 4.6, Sonnet 4.6 and Mythos
// Preview max as well; Opus 4.7 and later (Opus 4.8, the Claude 5 models) xhigh too, between high
// and max. Chat's `xhigh` went as `max` to all of them: more thinking and spend than asked where
// the model has Anthropic's own `xhigh`, and a 400 from Opus 4.5, which has no `max`. Through the
// gateway on loopback and the official OpenAI SDK, to an upstream that judges the level per model
// in Anthropic's words.

/** The levels each model takes (Anthropic's effort page); "their-claude", a name no rule places. */
const LEVELS: Readonly<Record<string, readonly string[]>> = {
  "claude-opus-4-5-20251101": ["low", "medium", "high"],
  "claude-opus-4-6": ["low", "medium", "high", "max"],
  "claude-sonnet-4-6": ["low", "medium", "high", "max"],
  "claude-opus-4-7": ["low", "medium", "high", "xhigh", "max"],
  "claude-opus-4-8": ["low", "medium", "high", "xhigh", "max"],
  "claude-opus-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-haiku-5-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-sonnet-5-5": ["low", "medium", "high", "xhigh", "max"],
  "their-claude": ["low", "medium", "high", "max"],
  // Before Opus 4.5: no effort at all.
  "claude-sonnet-4-5": [],
  "claude-haiku-4-5": [],
  "claude-opus-4-1": [],
};
/**
 * Models that refuse xhigh and max with thinking disabled: Opus 5 (its migration guide's breaking
 * change), Haiku 5.5 (Anthropic's "Prompting Claude Haiku 5.5": thinking disabled "only at low,
 * medium and high").
 */
const CAPPED_WITHOUT_THINKING = new Set(["claude-opus-5", "claude-haiku-5-5"]);
/**
 * Sonnet 5.5, whose lowest thinking is `between_tools` (it refuses `disabled`): "between_tools is
 * available at low, medium, and high effort. At xhigh or max effort, a request with between_tools
 * returns a 400 error" (Anthropic's "What's new in Claude Sonnet 5.5", Turn off up-front thinking).
 * The page gives no wording for that 400: this one stands in for it, and matches no pattern the
 * gateway mends by, so a level sent as asked is the caller's 400.
 */
const CAPPED_BETWEEN_TOOLS = new Set(["claude-sonnet-5-5"]);
/**
 * Opus 4.8, which no doc caps, refusing xhigh and max with thinking left out in Opus 5's words, as
 * users report it (anthropics/claude-code#76689, #79798).
 */
const REFUSES_WITHOUT_THINKING = new Set(["claude-opus-4-8"]);

interface Sent {
  readonly model: string;
  readonly output_config?: { readonly effort?: string };
  readonly thinking?: { readonly type?: string };
  readonly stream?: boolean;
}

/** Anthropic's stream of the same answer, as recorded. */
const STREAM = readFileSync(join(import.meta.dir, "../../translate/fixtures/anthropic/message-text.sse.txt"));

let upstream: ReturnType<typeof Bun.serve>;
let gateway: Gateway;
let openai: OpenAI;
const sent: Sent[] = [];

/** Anthropic's refusal of a level: an invalid_request_error, 400. */
const refused = (message: string) =>
  Response.json(
    { type: "error", error: { type: "invalid_request_error", message } },
    { status: 400, headers: { "request-id": "req_011refused" } },
  );

/** What Anthropic answers a request's effort level, by its model; else the message. */
function judged(body: Sent): Response {
  const effort = body.output_config?.effort;
  const levels = LEVELS[body.model] ?? [];
  if (effort !== undefined && levels.length === 0)
    return refused("This model does not support the effort parameter.");
  if (effort !== undefined && !levels.includes(effort))
    return refused(
      `This model does not support effort level '${effort}'. Supported levels: ${[...levels].sort().join(", ")}.`,
    );
  const thinkingOff =
    (CAPPED_WITHOUT_THINKING.has(body.model) && body.thinking?.type === "disabled") ||
    (REFUSES_WITHOUT_THINKING.has(body.model) && body.thinking === undefined);
  if (thinkingOff && (effort === "xhigh" || effort === "max"))
    return refused(
      `output_config.effort '${effort}' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.`,
    );
  if (
    CAPPED_BETWEEN_TOOLS.has(body.model) &&
    body.thinking?.type === "between_tools" &&
    (effort === "xhigh" || effort === "max")
  )
    return refused(`thinking.type 'between_tools' cannot be used with effort '${effort}'.`);
  if (body.stream) return new Response(STREAM, { headers: { "content-type": "text/event-stream" } });
  return Response.json({ ...jsonFixture("anthropic/message-text.json"), model: body.model });
}

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as Sent;
      sent.push(body);
      return judged(body);
    },
  });
  ({ gateway, openai } = await gatewayOnUpstream("drop"));
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

/** A gateway routing each of `LEVELS`' models to the upstream, under `unsupported`, and its caller. */
async function gatewayOnUpstream(
  unsupported: "drop" | "reject",
): Promise<{ gateway: Gateway; openai: OpenAI }> {
  const { gateway: made, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      translation: { unsupported },
      providers: [
        { name: "an", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}`, api_key: "k" },
      ],
      models: Object.keys(LEVELS).map((model) => ({ name: model, routes: [{ provider: "an", model }] })),
    }),
  );
  const caller = new OpenAI({
    baseURL: `http://127.0.0.1:${made.listen("127.0.0.1", 0).port}/v1`,
    apiKey: adminKey,
    maxRetries: 0,
  });
  return { gateway: made, openai: caller };
}

/** A chat call at `effort` (chat's words, and Anthropic's `max`, which the gateway reads too). */
const ask = (model: string, effort: string, extra: object = {}) =>
  openai.chat.completions
    .create({
      model,
      messages: [{ role: "user", content: "hi" }],
      reasoning_effort: effort as "high",
      ...extra,
    })
    .withResponse();

describe("a chat caller's reasoning_effort toward Claude", () => {
  test.each([
    // Anthropic's own xhigh, where the model has it.
    ["claude-opus-4-7", "xhigh", "xhigh"],
    ["claude-opus-5", "xhigh", "xhigh"],
    ["claude-opus-4-6", "max", "max"],
    ["claude-opus-4-7", "high", "high"],
    // chat's least, the same scale's least on Anthropic's.
    ["claude-opus-4-7", "minimal", "low"],
  ])("%s, asked %s, is sent %s, answered, nothing named", async (model, asked, level) => {
    const before = sent.length;
    const { data, response } = await ask(model, asked);
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sent.slice(before).map((body) => body.output_config?.effort)).toEqual([level]);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  // Where it has not, the most below it (max would be more than asked), sent at once and named, as
  // a level the model refuses and is sent again lower is (below): it did not go as asked.
  test.each([
    ["claude-opus-4-6", "xhigh", "high"],
    ["claude-sonnet-4-6", "xhigh", "high"],
    ["claude-opus-4-5-20251101", "xhigh", "high"],
    ["claude-opus-4-5-20251101", "max", "high"],
  ])("%s, asked %s, is sent %s at once, answered, the field named", async (model, asked, level) => {
    const before = sent.length;
    const { data, response } = await ask(model, asked);
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sent.slice(before).map((body) => body.output_config?.effort)).toEqual([level]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });
});

// A Claude before Opus 4.5 takes no effort (400 "This model does not support the effort parameter."):
// not sent, and named, without a refusal first, as on Converse.
test.each(["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"])(
  "%s, which takes no effort, is sent none at once, the field named",
  async (model) => {
    const before = sent.length;
    const { data, response } = await ask(model, "high");
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sent.slice(before).map((body) => body.output_config?.effort)).toEqual([undefined]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  },
);

// Opus 5 and Haiku 5.5 take xhigh and max only with thinking on: "thinking: {type: "disabled"}" is
// accepted at effort high or below, else a 400 (Anthropic's Opus 5 migration guide, Breaking
// changes; "Prompting Claude Haiku 5.5"); Sonnet 5.5's `between_tools` alike ("What's new in Claude
// Sonnet 5.5"). Asked with thinking so, high goes at once, thinking as it was, and the field is
// named; before, the level asked went first, for that 400 and a second call (Sonnet 5.5's: the
// caller's 400, its words matching none the gateway mends by).
describe("Opus 5 and Haiku 5.5 with thinking disabled, Sonnet 5.5 with thinking between_tools", () => {
  const sentSince = (before: number) => sent.slice(before).map((body) => body.output_config?.effort);

  test.each([
    ["claude-opus-5", "xhigh", "disabled"],
    ["claude-opus-5", "max", "disabled"],
    ["claude-haiku-5-5", "xhigh", "disabled"],
    ["claude-haiku-5-5", "max", "disabled"],
    ["claude-sonnet-5-5", "xhigh", "between_tools"],
    ["claude-sonnet-5-5", "max", "between_tools"],
  ])("%s, %s, thinking %s: sent high at once, thinking as it was, named", async (model, asked, type) => {
    const before = sent.length;
    const { data, response } = await ask(model, asked, { thinking: { type } });
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["high"]);
    expect(sent.at(-1)?.thinking).toEqual({ type });
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("Sonnet 5.5 with thinking on (adaptive, or none sent): xhigh goes once as asked", async () => {
    const before = sent.length;
    await ask("claude-sonnet-5-5", "xhigh", { thinking: { type: "adaptive" } });
    await ask("claude-sonnet-5-5", "max");
    expect(sentSince(before)).toEqual(["xhigh", "max"]);
  });

  test("streamed alike: high at once, the field named in the stream's headers", async () => {
    const before = sent.length;
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: "claude-opus-5",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "xhigh",
        stream: true,
        thinking: { type: "disabled" },
      } as never)
      .withResponse();
    let text = "";
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("high and below go as asked, nothing named", async () => {
    const before = sent.length;
    const { response } = await ask("claude-opus-5", "high", { thinking: { type: "disabled" } });
    expect(sentSince(before)).toEqual(["high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  test("with thinking on, xhigh goes once as asked", async () => {
    const before = sent.length;
    await ask("claude-opus-5", "xhigh", { thinking: { type: "adaptive" } });
    expect(sentSince(before)).toEqual(["xhigh"]);
  });
});

// A level the model refuses all the same is sent again at once at the level Anthropic's words name,
// and the caller's field named as any other refused field is (x-mindgw-dropped, the audit row): a
// model the rules do not place may lack the level asked ("This model does not support effort level
// 'xhigh'. Supported levels: high, low, max, medium."). Before, the caller got the 400.
describe("a level the route's Claude refuses", () => {
  const sentSince = (before: number) => sent.slice(before).map((body) => body.output_config?.effort);

  test("Opus 4.8 refusing xhigh with thinking left out, as users report: sent again at high, named", async () => {
    const before = sent.length;
    const { data, response } = await ask("claude-opus-4-8", "xhigh");
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["xhigh", "high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("a level a model no rule places has not: sent again at the most below it that it lists", async () => {
    const before = sent.length;
    const { data, response } = await ask("their-claude", "xhigh");
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["xhigh", "high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });
});

// Under translation.unsupported: reject a level the model takes only lower, or not at all, is the
// caller's 400 naming its field (a chat caller's reasoning_effort, a Responses caller's
// reasoning.effort), as a refusal of it is (routing/refused-effort.ts): nothing goes upstream.
describe("under translation.unsupported: reject", () => {
  let rejecting: { gateway: Gateway; openai: OpenAI };
  beforeAll(async () => {
    rejecting = await gatewayOnUpstream("reject");
  });
  afterAll(() => rejecting.gateway.stop());

  test.each([
    ["claude-opus-4-6", "xhigh", 'is "xhigh", which claude-opus-4-6 takes at most as "high"'],
    ["claude-opus-4-5-20251101", "max", 'is "max", which claude-opus-4-5-20251101 takes at most as "high"'],
    ["claude-sonnet-4-5", "high", "is an effort claude-sonnet-4-5 does not take"],
  ])("a chat caller's %s, asked %s: 400 on reasoning_effort, nothing sent", async (model, asked, why) => {
    const before = sent.length;
    const call = rejecting.openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      reasoning_effort: asked as "high",
    });
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "reasoning_effort",
      message: expect.stringContaining(`reasoning_effort ${why} (translation.unsupported: reject)`),
    });
    expect(sent.length).toBe(before);
  });

  test("Opus 5's xhigh with thinking disabled: 400 on reasoning_effort, nothing sent", async () => {
    const before = sent.length;
    const call = rejecting.openai.chat.completions.create({
      model: "claude-opus-5",
      messages: [{ role: "user", content: "hi" }],
      reasoning_effort: "xhigh",
      thinking: { type: "disabled" },
    } as never);
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "reasoning_effort",
      message: expect.stringContaining(
        'reasoning_effort is "xhigh", which claude-opus-5 takes at most as "high" with thinking disabled',
      ),
    });
    expect(sent.length).toBe(before);
  });

  test("Sonnet 5.5's max with thinking between_tools: 400 on reasoning_effort, nothing sent", async () => {
    const before = sent.length;
    const call = rejecting.openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [{ role: "user", content: "hi" }],
      reasoning_effort: "max" as "high",
      thinking: { type: "between_tools" },
    } as never);
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "reasoning_effort",
      message: expect.stringContaining(
        'reasoning_effort is "max", which claude-sonnet-5-5 takes at most as "high" with thinking between_tools',
      ),
    });
    expect(sent.length).toBe(before);
  });

  test("a Responses caller's reasoning.effort xhigh to Opus 4.6: 400 on reasoning.effort, nothing sent", async () => {
    const before = sent.length;
    const call = rejecting.openai.responses.create({
      model: "claude-opus-4-6",
      input: "hi",
      reasoning: { effort: "xhigh" },
    });
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "reasoning.effort",
      message: expect.stringContaining(
        'reasoning.effort is "xhigh", which claude-opus-4-6 takes at most as "high"',
      ),
    });
    expect(sent.length).toBe(before);
  });

  test("a level the model takes goes as asked", async () => {
    const before = sent.length;
    const { data } = await rejecting.openai.chat.completions
      .create({
        model: "claude-opus-4-7",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "xhigh",
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sent.slice(before).map((body) => body.output_config?.effort)).toEqual(["xhigh"]);
  });
});
