import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";
import { anthropicFailure } from "./harness/sdk-failure.ts";

// The gateway's own context-length refusal, before any route is tried: no route's
// `context_window` holds the request by its estimate (the gateway set-up:
// harness/error-fidelity-fixture.ts), said in each caller's words as an upstream's is
// (error-fidelity-context.test.ts); what the estimate leaves out.

const fidelity = errorFidelityFixture();
const { chat, messages } = fidelity;

describe("the gateway's own context_length_exceeded", () => {
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
    const answerTooLong = await anthropicFailure(
      fidelity.anthropic.messages.create({
        model: "tiny",
        max_tokens: 1000,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expect(answerTooLong).toBeInstanceOf(Anthropic.BadRequestError);
    expect(answerTooLong.error).toEqual({
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
