import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";

// A context-length refusal keeps its meaning through the gateway, whoever says it in whatever
// words: OpenAI's code and param to OpenAI callers, Anthropic's words to Anthropic callers (Claude
// Code acts on them), context_length_exceeded in the audit and for fallback_on (the gateway set-up:
// harness/error-fidelity-fixture.ts).

const fidelity = errorFidelityFixture();
const { chat, messages, responses } = fidelity;

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
    const anthropicError = (await messages("vllm-output", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 230145 + 32000 > 262144, decrease input length or `max_tokens` and try again",
      },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
  });

  test("Moonshot's (Kimi's) count, the prompt and max_tokens together: a prompt that fits is no `prompt is too long` (Claude Code would compact a conversation that fits), Anthropic's max_tokens words", async () => {
    const anthropicError = (await messages("kimi-fits", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 262130 + 20 > 262144, decrease input length or `max_tokens` and try again",
      },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
  });

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

  test.each([
    ["vLLM's (FastAPI's listing)", "vllm-listing"],
    ["SGLang's (FastAPI's entries alone)", "sglang-listing"],
  ])(
    "%s validation 400 quoting a prompt that speaks of context lengths is the caller's plain 400, not a context refusal",
    async (_, model) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
      expect(openaiError.code).not.toBe("context_length_exceeded");
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toMatchObject({ error: { type: "invalid_request_error" } });
      expect(anthropicError.message).not.toContain("prompt is too long:");
      const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    },
  );

  test("vLLM's Messages endpoint's validation 400 quoting a prompt that says `prompt is too long`: its words kept in Anthropic's own type (Claude Code does not compact), no failover on context_length, audited invalid_request", async () => {
    const anthropicError = (await messages("vllm-messages-listing", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/^1 validation error for /) },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    expect(row.attempts?.map((a) => a.outcome)).toEqual(["failed"]);
  });

  // The Anthropic SDK and Claude Code switch on Anthropic's own error types; an engine serving
  // Anthropic's API in its own (MiniMax's bad_request_error, vLLM's BadRequestError) gets the one
  // Anthropic's API has for the status, its words kept.
  test("an Anthropic-shaped refusal whose type is not one of Anthropic's (MiniMax's bad_request_error) reaches Anthropic callers as Anthropic's type for its status, its words kept", async () => {
    const words = "media exceeds size limit: max 10485760 bytes (2013)";
    const anthropicError = (await messages("minimax-media-messages", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: words },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });

  // MiniMax's 2013 is any invalid parameter's: an image over its 10 MB says "exceeds … limit" too.
  test("MiniMax's image refusal (`media exceeds size limit: … (2013)`) is the caller's plain 400, not a context refusal, MiniMax's words kept", async () => {
    const words = "media exceeds size limit: max 10485760 bytes (2013)";
    const openaiError = (await chat("minimax-media", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(openaiError.code).not.toBe("context_length_exceeded");
    expect(openaiError.message).toBe(`400 ${words}`);
    const anthropicError = (await messages("minimax-media", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: words },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });

  test("the gateway's own refusal (no route's window fits): Anthropic's words, OpenAI's code", async () => {
    const long = "many words ".repeat(100);
    const anthropicError = (await messages("tiny", long)) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    // The estimate's numbers: 1,104 characters (the role's included), four a token.
    expect(anthropicError.error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 276 tokens > 30 maximum" },
      request_id: expect.stringMatching(/^req_/),
    });
    // A prompt that fits with an answer that does not: Anthropic's own words for that, on which
    // Claude Code asks again for a shorter answer.
    const answerTooLong = await fidelity.anthropic.messages
      .create({ model: "tiny", max_tokens: 1000, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(answerTooLong).toBeInstanceOf(Anthropic.BadRequestError);
    expect((answerTooLong as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 2 + 1000 > 30, decrease input length or `max_tokens` and try again",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const openaiError = (await chat("tiny", long)) as InstanceType<typeof OpenAI.APIError>;
    expect([openaiError.status, openaiError.code, openaiError.param]).toEqual([
      400,
      "context_length_exceeded",
      "messages",
    ]);
    expect(openaiError.message).toContain("This model's maximum context length is 30 tokens");
  });

  test("the model's own reasoning handed back is no prompt to the window: OpenRouter's reasoning_details and Gemini's thought signatures count nothing; the same length of text is refused", async () => {
    // 16 KB of base64 each, some 4,000 tokens were it text, against a window of 2,000.
    const signature = "CiIBVKhc7oXs/w+".repeat(1100);
    const id = `call_1__ts_${signature.replaceAll("+", "-").replaceAll("/", "_")}`;
    const conversation = (said: string) => [
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: "",
        reasoning_details: [
          { type: "reasoning.encrypted", data: signature, format: "google-gemini-v1", index: 0 },
          { type: "reasoning.text", text: "", signature, format: "anthropic-claude-v1", index: 1 },
        ],
        tool_calls: [
          {
            id,
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: signature } },
          },
        ],
      },
      { role: "tool", tool_call_id: id, content: "sunny" },
      { role: "user", content: said },
    ];
    const ask = (said: string) =>
      fetch(`${fidelity.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${fidelity.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "small-window", messages: conversation(said) }),
      });
    const served = await ask("thanks");
    expect(served.status).toBe(200);
    const refused = await ask(signature);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      "context_length_exceeded",
    ]);
  });
});
