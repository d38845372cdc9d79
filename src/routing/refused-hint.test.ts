import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { refusedHint } from "./refused-hint.ts";

describe("refusedHint: a bound past the most the route's model writes", () => {
  const refused = (message: string) => new GatewayError({ status: 400, code: "invalid_request", message });
  const hints = { max_completion_tokens: "max_tokens" };

  test.each([
    [
      "OpenAI",
      "max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you provided 32000.",
      16_384,
    ],
    [
      "Vertex AI",
      "Unable to submit request because it has a maxOutputTokens value of 128000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.",
      65_536,
    ],
    [
      "Anthropic on Bedrock",
      "ValidationException: max_tokens: 128000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5",
      64_000,
    ],
    // Nova Pro on Converse takes 10,000 and refuses 10,001.
    [
      "Bedrock Converse",
      "ValidationException: The maximum tokens you requested exceeds the model limit of 10000. Try again with a maximum tokens value that is lower than 10000.",
      10_000,
    ],
  ])("in %s's words: sent again with that most", (_, message, most) => {
    expect(refusedHint(refused(message), hints)).toEqual({
      path: "max_completion_tokens",
      callerName: "max_tokens",
      fits: most,
      fitsBy: "model",
    });
  });

  test("another 400, or no bound among the hints, is no hint refused", () => {
    expect(refusedHint(refused("messages.0: bad"), hints)).toBeUndefined();
    const words = "max_tokens is too large: 32000. This model supports at most 16384 completion tokens.";
    expect(refusedHint(refused(words), { reasoning_effort: "thinking" })).toBeUndefined();
  });

  test("a bound the upstream names refused is no hint: the call never goes again without the caller's bound", () => {
    for (const message of [
      "Unsupported parameter: 'max_completion_tokens' is not supported with this model. Use 'max_tokens' instead.",
      "max_completion_tokens: Extra inputs are not permitted",
    ])
      expect(refusedHint(refused(message), { ...hints, temperature: "temperature" })).toBeUndefined();
    const named = new GatewayError({
      status: 400,
      code: "invalid_request",
      message: "Unsupported parameter",
      param: "max_completion_tokens",
      upstream: { dialect: "openai", status: 400, code: "unsupported_parameter" },
    });
    expect(refusedHint(named, hints)).toBeUndefined();
  });
});

describe("refusedHint: Gemini's refusals of thinking, which name no field", () => {
  const refused = (message: string) => new GatewayError({ status: 400, code: "invalid_request", message });
  const hints = {
    reasoning_effort: "thinking",
    include_reasoning: "thinking",
    max_completion_tokens: "max_tokens",
  };

  test.each([
    ["the Gemini API's", "Thinking is not enabled for models/gemini-2.5-flash-image"],
    [
      "Vertex AI's",
      "Unable to submit request because thinking is not supported by this model. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
    ],
  ])(
    "a model that does not think, in %s words: the effort and the thoughts asked for go together",
    (_api, words) => {
      expect(refusedHint(refused(words), hints)).toEqual({
        path: "reasoning_effort",
        callerName: "thinking",
        also: [{ path: "include_reasoning", callerName: "thinking" }],
      });
    },
  );

  test("thoughts asked of a model whose thinking is off (Vertex AI's words): the thoughts go, the effort stays", () => {
    const words =
      "Unable to submit request because Thinking_config.include_thoughts is only enabled when thinking is enabled.. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini";
    expect(refusedHint(refused(words), hints)).toEqual({ path: "include_reasoning", callerName: "thinking" });
    expect(refusedHint(refused(words), { include_reasoning: "include_reasoning" })).toEqual({
      path: "include_reasoning",
      callerName: "include_reasoning",
    });
  });

  test("a level or a budget of 0 refused: the effort alone goes", () => {
    expect(
      refusedHint(refused("Budget 0 is invalid. This model only works in thinking mode."), hints),
    ).toEqual({
      path: "reasoning_effort",
      callerName: "thinking",
    });
  });
});
