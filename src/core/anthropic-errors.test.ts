import { describe, expect, test } from "bun:test";
import { anthropicWireError } from "./anthropic-errors.ts";
import { GatewayError, type UpstreamErrorDetail } from "./gateway-error.ts";

const tooLong = (message: string, upstream?: UpstreamErrorDetail) =>
  anthropicWireError(
    new GatewayError({
      status: 400,
      code: "context_length_exceeded",
      message,
      param: "messages",
      ...(upstream ? { upstream } : {}),
    }),
  );

describe("anthropicWireError: a context-length refusal in Anthropic's words", () => {
  test("an OpenAI upstream's numbers, as `prompt is too long: N tokens > M maximum`", () => {
    const openai = {
      dialect: "openai" as const,
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
    };
    expect(
      tooLong(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
        openai,
      ),
    ).toEqual({
      type: "invalid_request_error",
      message: "prompt is too long: 200000 tokens > 128000 maximum",
    });
    // vLLM's wording.
    expect(
      tooLong(
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
        openai,
      ).message,
    ).toBe("prompt is too long: 5000 tokens > 4096 maximum");
  });

  test("without the prompt's size (the gateway's own refusal), the words then the reason", () => {
    expect(
      tooLong(
        "This model's maximum context length is 100 tokens: the prompt and the requested answer do not fit any route of model m.",
      ),
    ).toEqual({
      type: "invalid_request_error",
      message:
        "prompt is too long: this model's maximum context length is 100 tokens: the prompt and the requested answer do not fit any route of model m.",
    });
  });
});
