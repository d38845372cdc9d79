import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";

// A context-length refusal keeps its meaning through the gateway, whoever says it in whatever
// words: OpenAI's code and param to OpenAI callers, Anthropic's words to Anthropic callers (Claude
// Code acts on them), context_length_exceeded in the audit and for fallback_on (the gateway set-up:
// harness/error-fidelity-fixture.ts). Refusals that only look like one:
// error-fidelity-context-lookalikes.test.ts; the gateway's own: error-fidelity-context-own.test.ts.

const fidelity = errorFidelityFixture();
const { chat, messages, responses } = fidelity;

/**
 * An Anthropic caller of `model` is refused in Anthropic's max_tokens words, `count` being the
 * "input + max_tokens > limit" they state (Claude Code asks for less, no compaction), and the
 * request is audited a context_length_exceeded 400.
 */
async function expectMaxTokensWords(model: string, count: string): Promise<void> {
  const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
  expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
  expect(anthropicError.error).toMatchObject({
    type: "error",
    error: {
      type: "invalid_request_error",
      message: `input length and \`max_tokens\` exceed context limit: ${count}, decrease input length or \`max_tokens\` and try again`,
    },
  });
  const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
  expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
}

describe("context_length_exceeded keeps its meaning", () => {
  test.each([
    ["OpenAI chat → OpenAI upstream", () => chat("o", "x [[fake:context-length]]"), "messages"],
    ["OpenAI chat → Anthropic upstream", () => chat("a", "x [[fake:context-length]]"), "messages"],
    // A Responses caller's conversation is its `input`: it sent no `messages`.
    ["Responses → OpenAI upstream", () => responses("o", "x [[fake:context-length]]"), "input"],
    ["Responses → Anthropic upstream", () => responses("a", "x [[fake:context-length]]"), "input"],
  ])("%s: 400, code context_length_exceeded, param the caller's conversation", async (_, call, param) => {
    const error = (await call()) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param]).toEqual(["context_length_exceeded", param]);
  });

  test.each([
    ["Anthropic → Anthropic upstream", "a", "prompt is too long: 200000 tokens > 128000 maximum"],
    ["Anthropic → OpenAI upstream", "o", "prompt is too long: 200000 tokens > 128000 maximum"],
  ])(
    "%s: 400 invalid_request_error in Anthropic's words (Claude Code compacts on them)",
    async (_, model, words) => {
      const error = (await messages(model, "x [[fake:context-length]]")) as InstanceType<
        typeof Anthropic.APIError
      >;
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      // The Anthropic upstream's body is relayed as it came; the gateway's own names its request.
      expect(error.error).toEqual({
        type: "error",
        error: { type: "invalid_request_error", message: words },
        ...(model === "o" ? { request_id: expect.stringMatching(/^req_/) } : {}),
      });
    },
  );

  test("vLLM's refusal counting the answer asked for apart (`requested N output tokens and your prompt contains at least P input tokens`): Anthropic's max_tokens words (Claude Code asks for less, no compaction), OpenAI's code and the caller's conversation as its param", async () => {
    const openaiError = (await chat("vllm-output", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    // vLLM's `param` (input_tokens) names no field the caller sent: its conversation is what to cut.
    expect([openaiError.code, openaiError.param]).toEqual(["context_length_exceeded", "messages"]);
    const responsesError = (await responses("vllm-output", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([responsesError.code, responsesError.param]).toEqual(["context_length_exceeded", "input"]);
    await expectMaxTokensWords("vllm-output", "230145 + 32000 > 262144");
  });

  test("Moonshot's (Kimi's) count, the prompt and max_tokens together: a prompt that fits is no `prompt is too long` (Claude Code would compact a conversation that fits), Anthropic's max_tokens words", () =>
    expectMaxTokensWords("kimi-fits", "262130 + 20 > 262144"));

  test("TGI's 422: OpenAI's code and param, Anthropic's max_tokens words (Claude Code asks for less), both a 400; fallback_on context_length fails over", async () => {
    const tgiWords =
      "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`";
    const openaiError = (await chat("tgi", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect([openaiError.code, openaiError.param, openaiError.message]).toEqual([
      "context_length_exceeded",
      "messages",
      `400 ${tgiWords}`,
    ]);
    const anthropicError = (await messages("tgi", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 4000 + 500 > 4096, decrease input length or `max_tokens` and try again",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
    const { data, response } = await fidelity.openai.chat.completions
      .create({ model: "tgi-then-o", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const served = await auditRow(fidelity.gw, response.headers.get("x-request-id") ?? "");
    expect(served.attempts?.map((a) => [a.outcome, a.status])).toEqual([
      ["failed", 422],
      ["ok", null],
    ]);
  });

  test.each([
    ["SGLang's (Together AI's words too)", "sglang", "prompt is too long: 61709 tokens > 40960 maximum"],
    ["xAI's", "xai", "prompt is too long: 149617 tokens > 131072 maximum"],
    ["Poolside's", "poolside", "prompt is too long: 131393 tokens > 131040 maximum"],
    ["GitHub Copilot's", "copilot", "prompt is too long: 168929 tokens > 168000 maximum"],
    ["DeepInfra's", "deepinfra", "prompt is too long: 39818 tokens > 32767 maximum"],
    ["MiniMax's", "minimax", "prompt is too long: invalid params, context window exceeds limit (2013)"],
    // Moonshot's count is the prompt and `max_tokens` (20 here) together.
    ["Moonshot's (Kimi's)", "kimi", "prompt is too long: 370633 tokens > 262144 maximum"],
    ["vLLM's input processor's", "vllm-decoder", "prompt is too long: 9028 tokens > 8192 maximum"],
    ["vLLM's older input processor's", "vllm-prompt", "prompt is too long: 25938 tokens > 4096 maximum"],
    ["Mistral's", "mistral", "prompt is too long: 66385 tokens > 32768 maximum"],
    ["LM Studio's, its counts", "lmstudio-keep", "prompt is too long: 111490 tokens > 32768 maximum"],
    // Only how far past the window, or no count: the words follow Anthropic's.
    ["Ollama's", "ollama", "prompt is too long: prompt too long; exceeded max context length by 17 tokens"],
    [
      "LM Studio's (llama.cpp's n_keep)",
      "lmstudio",
      "prompt is too long: the number of tokens to keep from the initial prompt is greater than the context length.",
    ],
    [
      'OpenRouter relaying Moonshot\'s, its generic words prefixed ("Error from provider: …"),',
      "openrouter-kimi",
      "prompt is too long: 370633 tokens > 262144 maximum",
    ],
    // OpenRouter's own words are generic: its provider's are in its `metadata.raw`.
    [
      "OpenRouter relaying DeepInfra's",
      "openrouter-deepinfra",
      "prompt is too long: 39818 tokens > 32767 maximum",
    ],
    [
      "OpenRouter relaying Anthropic's",
      "openrouter-anthropic",
      "prompt is too long: 210000 tokens > 200000 maximum",
    ],
    // No prompt count given: the words follow Anthropic's.
    ["Alibaba's (DashScope)", "dashscope", "prompt is too long: range of input length should be [1, 129024]"],
  ])(
    "%s words: OpenAI's code and param, Anthropic's `prompt is too long` (Claude Code compacts), audited as context_length_exceeded",
    async (_, model, words) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
      expect([openaiError.code, openaiError.param]).toEqual(["context_length_exceeded", "messages"]);
      const responsesError = (await responses(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect([responsesError.status, responsesError.code, responsesError.param]).toEqual([
        400,
        "context_length_exceeded",
        "input",
      ]);
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toEqual({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: words,
        },
        request_id: expect.stringMatching(/^req_/),
      });
      const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
    },
  );

  test.each([
    [
      "DeepInfra's text",
      "openrouter-deepinfra",
      "Requested input length 39818 exceeds maximum input length 32767",
    ],
    ["Anthropic's body", "openrouter-anthropic", "prompt is too long: 210000 tokens > 200000 maximum"],
  ])(
    "OpenRouter's \"Provider returned error\" with %s in its metadata.raw: an OpenAI caller reads the provider's words",
    async (_, model, words) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect([openaiError.status, openaiError.code, openaiError.message]).toEqual([
        400,
        "context_length_exceeded",
        `400 ${words}`,
      ]);
    },
  );

  test.each([
    [
      "vLLM's Messages endpoint",
      "vllm-messages",
      "input length and `max_tokens` exceed context limit: 9591 + 10000 > 16384, decrease input length or `max_tokens` and try again",
    ],
    // "context window" is not Anthropic's: Claude Code would not compact on it.
    [
      "MiniMax's Anthropic API",
      "minimax-messages",
      "prompt is too long: invalid params, context window exceeds limit (2013)",
    ],
  ])(
    "%s, its words in Anthropic's shape: Anthropic's words to a Messages caller (Claude Code acts on them), OpenAI's code to a chat caller, audited as context_length_exceeded",
    async (_, model, words) => {
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toEqual({
        type: "error",
        error: { type: "invalid_request_error", message: words },
        request_id: expect.stringMatching(/^req_/),
      });
      const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect([openaiError.status, openaiError.code, openaiError.param]).toEqual([
        400,
        "context_length_exceeded",
        "messages",
      ]);
    },
  );
});
