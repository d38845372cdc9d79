import { describe, expect, test } from "bun:test";
import { anthropicWireError, codeFromAnthropic } from "./anthropic-errors.ts";
import { contextOverflowMessage } from "./context-overflow.ts";
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
    // vLLM's older wording, its prompt alone over the window: the prompt's own count.
    expect(
      tooLong(
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4200 in the messages, 800 in the completion).",
        openai,
      ).message,
    ).toBe("prompt is too long: 4200 tokens > 4096 maximum");
    // vLLM's newer words for a prompt alone too long, Gemini's, llama.cpp's.
    expect(
      tooLong(
        "This model's maximum context length is 1536 tokens. However, your request has 4176 input tokens. Please reduce the length of the input messages.",
      ).message,
    ).toBe("prompt is too long: 4176 tokens > 1536 maximum");
    expect(
      tooLong("The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).")
        .message,
    ).toBe("prompt is too long: 1200000 tokens > 1048576 maximum");
    expect(
      tooLong("request (41533 tokens) exceeds the available context size (32768 tokens), try increasing it")
        .message,
    ).toBe("prompt is too long: 41533 tokens > 32768 maximum");
    // SGLang's and Together AI's; xAI's.
    expect(
      tooLong("The input (61709 tokens) is longer than the model's context length (40960 tokens).").message,
    ).toBe("prompt is too long: 61709 tokens > 40960 maximum");
    expect(
      tooLong("This model's maximum prompt length is 131072 but the request contains 149617 tokens.").message,
    ).toBe("prompt is too long: 149617 tokens > 131072 maximum");
  });

  // Claude Code asks for max_tokens 128000 by default; on a 128k model its prompt fits and the answer
  // does not. Told so in Anthropic's words it asks again for less (it reads them with the regex
  // below); told "prompt is too long" it tries to compact a conversation of one exchange, and stops.
  const claudeCodeReads = /input length and `max_tokens` exceed context limit: (\d+) \+ (\d+) > (\d+)/;

  test("a prompt that fits with an answer that does not: Anthropic's max_tokens words, with the numbers", () => {
    const expected = {
      type: "invalid_request_error" as const,
      message:
        "input length and `max_tokens` exceed context limit: 15000 + 128000 > 131072, decrease input length or `max_tokens` and try again",
    };
    // vLLM's older words (OpenAI's before it), its newer ones, OpenRouter's.
    expect(
      tooLong(
        "This model's maximum context length is 131072 tokens. However, you requested 143000 tokens (15000 in the messages, 128000 in the completion). Please reduce the length of the messages or completion.",
      ),
    ).toEqual(expected);
    expect(
      tooLong(
        "'max_tokens' or 'max_completion_tokens' is too large: 128000. This model's maximum context length is 131072 tokens and your request has 15000 input tokens (128000 > 131072 - 15000). None",
      ),
    ).toEqual(expected);
    expect(
      tooLong(
        'This endpoint\'s maximum context length is 131072 tokens. However, you requested about 143000 tokens (14000 of text input, 1000 of tool input, 128000 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
      ),
    ).toEqual(expected);
    expect(claudeCodeReads.exec(expected.message)?.slice(1)).toEqual(["15000", "128000", "131072"]);
  });

  test("TGI's words (a 422): its prompt and max_new_tokens counted apart, or its prompt alone", () => {
    const tgi = {
      dialect: "openai" as const,
      status: 422,
    };
    const apart = tooLong(
      "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`",
      tgi,
    );
    expect(apart.message).toBe(
      "input length and `max_tokens` exceed context limit: 4000 + 500 > 4096, decrease input length or `max_tokens` and try again",
    );
    expect(claudeCodeReads.exec(apart.message)?.slice(1)).toEqual(["4000", "500", "4096"]);
    expect(
      tooLong("Input validation error: `inputs` must have less than 4096 tokens. Given: 5000", tgi),
    ).toEqual({
      type: "invalid_request_error",
      message: "prompt is too long: 5000 tokens > 4096 maximum",
    });
    // A prompt that alone fills the window, counted apart: Claude Code must compact.
    expect(
      tooLong(
        "Input validation error: input tokens + max_new_tokens must be <= 4096. Given: 4096 input tokens and 20 max_new_tokens",
        tgi,
      ).message,
    ).toBe("prompt is too long: 4096 tokens > 4096 maximum");
  });

  test("the gateway's own refusal (no route's context_window holds the request) in the same words", () => {
    const own = (prompt: number, answer?: number) =>
      tooLong(
        contextOverflowMessage(
          { window: 131072, prompt, ...(answer === undefined ? {} : { answer }) },
          "by mindgw's estimate: no route of model m can hold them",
        ),
      ).message;
    expect(claudeCodeReads.exec(own(15000, 128000))?.slice(1)).toEqual(["15000", "128000", "131072"]);
    expect(own(200000)).toBe("prompt is too long: 200000 tokens > 131072 maximum");
  });

  test("without the numbers, the words then the reason", () => {
    expect(tooLong("The request is larger than this model's context window.")).toEqual({
      type: "invalid_request_error",
      message: "prompt is too long: the request is larger than this model's context window.",
    });
  });
});

describe("codeFromAnthropic", () => {
  test("Anthropic's refusals of a request its window cannot hold are context_length_exceeded, max_tokens's too", () => {
    const refusal = (message: string) => codeFromAnthropic(400, { type: "invalid_request_error", message });
    expect(refusal("prompt is too long: 200000 tokens > 131072 maximum")).toBe("context_length_exceeded");
    expect(
      refusal(
        "input length and `max_tokens` exceed context limit: 15000 + 128000 > 131072, decrease input length or `max_tokens` and try again",
      ),
    ).toBe("context_length_exceeded");
    expect(refusal("max_tokens: Field required")).toBe("invalid_request");
  });

  test("another engine's words in Anthropic's shape are a refusal too, but not Anthropic's: said in Anthropic's words", () => {
    const words = "invalid params, context window exceeds limit (2013)";
    const said = { type: "invalid_request_error", message: words };
    expect(codeFromAnthropic(400, said)).toBe("context_length_exceeded");
    const body = { type: "error", error: said };
    expect(tooLong(words, { dialect: "anthropic", status: 400, type: said.type, body })).toEqual({
      type: "invalid_request_error",
      message: `prompt is too long: ${words}`,
    });
    // Anthropic's own, relayed as sent.
    const own = {
      type: "invalid_request_error" as const,
      message: "prompt is too long: 208310 tokens > 200000 maximum",
    };
    expect(
      tooLong(own.message, {
        dialect: "anthropic",
        status: 400,
        type: own.type,
        body: { type: "error", error: own },
      }),
    ).toEqual(own);
  });
});
