import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Called, effortUpstream } from "./testing/effort-upstream.ts";

// A chat caller's `reasoning_effort` on an Anthropic route, as the level the route's Claude takes.
// Anthropic's effort page: Opus 4.5 takes low, medium and high; Opus 4.6, Sonnet 4.6 and Mythos
// Preview max as well; Opus 4.7 and later (Opus 4.8, the Claude 5 models) xhigh too, between high
// and max. Chat's `xhigh` went as `max` to all of them: more thinking and spend than asked where
// the model has Anthropic's own `xhigh`, and a 400 from Opus 4.5, which has no `max`. Through the
// gateway on loopback and the official OpenAI SDK, to an upstream that judges the level per model
// in Anthropic's words.
const upstream = effortUpstream();
const { sent, ask, sentSince } = upstream;

const ANSWER = "Hello! How can I help you today?";

/** Asks `model` at `asked`: answered, the levels sent upstream `sentLevels`, the dropped header `dropped`. */
async function expectAnswered(
  model: string,
  asked: string,
  sentLevels: readonly (string | undefined)[],
  dropped: string | null,
): Promise<void> {
  const before = sent.length;
  const { data, response } = await ask(model, asked);
  expect(data.choices[0]?.message.content).toBe(ANSWER);
  expect(sentSince(before)).toEqual([...sentLevels]);
  expect(response.headers.get("x-mindgw-dropped")).toBe(dropped);
}

/** The call is the caller's 400 on `param`, its message holding `words`, and nothing went upstream. */
async function expectRejectedUnsent(
  call: () => { withResponse(): Promise<unknown> },
  param: string,
  words: string,
): Promise<void> {
  const before = sent.length;
  await expect(call().withResponse()).rejects.toMatchObject({
    status: 400,
    param,
    message: expect.stringContaining(words),
  });
  expect(sent.length).toBe(before);
}

describe("a chat caller's reasoning_effort toward Claude", () => {
  test.each([
    // Anthropic's own xhigh, where the model has it.
    ["claude-opus-4-7", "xhigh", "xhigh"],
    ["claude-opus-5", "xhigh", "xhigh"],
    ["claude-opus-4-6", "max", "max"],
    ["claude-opus-4-7", "high", "high"],
    // chat's least, the same scale's least on Anthropic's.
    ["claude-opus-4-7", "minimal", "low"],
  ])("%s, asked %s, is sent %s, answered, nothing named", (model, asked, level) =>
    expectAnswered(model, asked, [level], null),
  );

  // Where it has not, the most below it (max would be more than asked), sent at once and named, as
  // a level the model refuses and is sent again lower is (below): it did not go as asked.
  test.each([
    ["claude-opus-4-6", "xhigh", "high"],
    ["claude-sonnet-4-6", "xhigh", "high"],
    ["claude-opus-4-5-20251101", "xhigh", "high"],
    ["claude-opus-4-5-20251101", "max", "high"],
  ])("%s, asked %s, is sent %s at once, answered, the field named", (model, asked, level) =>
    expectAnswered(model, asked, [level], "reasoning_effort"),
  );
});

// A Claude before Opus 4.5 takes no effort (400 "This model does not support the effort parameter."):
// not sent, and named, without a refusal first, as on Converse.
test.each(["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"])(
  "%s, which takes no effort, is sent none at once, the field named",
  (model) => expectAnswered(model, "high", [undefined], "reasoning_effort"),
);

// A level the model refuses all the same is sent again at once at the level Anthropic's words name,
// and the caller's field named as any other refused field is (x-mindgw-dropped, the audit row): a
// model the rules do not place may lack the level asked ("This model does not support effort level
// 'xhigh'. Supported levels: high, low, max, medium."). Before, the caller got the 400.
describe("a level the route's Claude refuses", () => {
  test("Opus 4.8 refusing xhigh with thinking left out, as users report: sent again at high, named", () =>
    expectAnswered("claude-opus-4-8", "xhigh", ["xhigh", "high"], "reasoning_effort"));

  test("a level a model no rule places has not: sent again at the most below it that it lists", () =>
    expectAnswered("their-claude", "xhigh", ["xhigh", "high"], "reasoning_effort"));
});

// Under translation.unsupported: reject a level the model takes only lower, or not at all, is the
// caller's 400 naming its field (a chat caller's reasoning_effort, a Responses caller's
// reasoning.effort), as a refusal of it is (routing/refused-effort.ts): nothing goes upstream.
describe("under translation.unsupported: reject", () => {
  let rejecting: Called;
  beforeAll(async () => {
    rejecting = await upstream.gatewayOnUpstream("reject");
  });
  afterAll(() => rejecting.gateway.stop());

  test.each([
    ["claude-opus-4-6", "xhigh", 'is "xhigh", which claude-opus-4-6 takes at most as "high"'],
    ["claude-opus-4-5-20251101", "max", 'is "max", which claude-opus-4-5-20251101 takes at most as "high"'],
    ["claude-sonnet-4-5", "high", "is an effort claude-sonnet-4-5 does not take"],
  ])("a chat caller's %s, asked %s: 400 on reasoning_effort, nothing sent", (model, asked, why) =>
    expectRejectedUnsent(
      () =>
        rejecting.openai.chat.completions.create({
          model,
          messages: [{ role: "user", content: "hi" }],
          reasoning_effort: asked as "high",
        }),
      "reasoning_effort",
      `reasoning_effort ${why} (translation.unsupported: reject)`,
    ),
  );

  test("Opus 5's xhigh with thinking disabled: 400 on reasoning_effort, nothing sent", () =>
    expectRejectedUnsent(
      () =>
        rejecting.openai.chat.completions.create({
          model: "claude-opus-5",
          messages: [{ role: "user", content: "hi" }],
          reasoning_effort: "xhigh",
          thinking: { type: "disabled" },
        } as never),
      "reasoning_effort",
      'reasoning_effort is "xhigh", which claude-opus-5 takes at most as "high" with thinking disabled',
    ));

  test("Sonnet 5.5's max with thinking between_tools: 400 on reasoning_effort, nothing sent", () =>
    expectRejectedUnsent(
      () =>
        rejecting.openai.chat.completions.create({
          model: "claude-sonnet-5-5",
          messages: [{ role: "user", content: "hi" }],
          reasoning_effort: "max" as "high",
          thinking: { type: "between_tools" },
        } as never),
      "reasoning_effort",
      'reasoning_effort is "max", which claude-sonnet-5-5 takes at most as "high" with thinking between_tools',
    ));

  test("a Responses caller's reasoning.effort xhigh to Opus 4.6: 400 on reasoning.effort, nothing sent", () =>
    expectRejectedUnsent(
      () =>
        rejecting.openai.responses.create({
          model: "claude-opus-4-6",
          input: "hi",
          reasoning: { effort: "xhigh" },
        }),
      "reasoning.effort",
      'reasoning.effort is "xhigh", which claude-opus-4-6 takes at most as "high"',
    ));

  test("a level the model takes goes as asked", async () => {
    const before = sent.length;
    const { data } = await rejecting.openai.chat.completions
      .create({
        model: "claude-opus-4-7",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "xhigh",
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(ANSWER);
    expect(sentSince(before)).toEqual(["xhigh"]);
  });
});
