import { describe, expect, test } from "bun:test";
import { GatewayError } from "./gateway-error.ts";
import { codeFromOpenAI, openAIWireError, readOpenAIError } from "./openai-errors.ts";

test("an OpenAI error body is read from each shape servers send", () => {
  expect(
    readOpenAIError({ error: { message: "m", type: "invalid_request_error", code: 7, param: "messages" } }),
  ).toEqual({ message: "m", type: "invalid_request_error", code: "7", param: "messages" });
  expect(readOpenAIError({ error: "model not loaded" })).toEqual({ message: "model not loaded" });
  expect(readOpenAIError({ detail: "Not Found" })).toEqual({ message: "Not Found" });
  expect(readOpenAIError({ detail: [] })).toBeUndefined();
});

describe("OpenRouter's generic error: its provider's words from `metadata.raw`", () => {
  const routed = (raw: unknown, message = "Provider returned error") => ({
    error: { message, code: 400, metadata: { raw, provider_name: "P" } },
    user_id: "user_2x",
  });
  const TOO_LONG = "Requested input length 39818 exceeds maximum input length 32767";

  test("said as text, or as its body's JSON text in any shape the readers know, or as a body", () => {
    expect(readOpenAIError(routed(TOO_LONG))).toEqual({ message: TOO_LONG, code: "400" });
    expect(codeFromOpenAI(400, readOpenAIError(routed(TOO_LONG)))).toBe("context_length_exceeded");
    const anthropic = {
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
    };
    expect(readOpenAIError(routed(JSON.stringify(anthropic)))?.message).toBe(anthropic.error.message);
    const google = { error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } };
    expect(readOpenAIError(routed(JSON.stringify(google, null, 2)))?.message).toBe(google.error.message);
    expect(readOpenAIError(routed(JSON.stringify({ detail: "Not Found" })))?.message).toBe("Not Found");
    expect(readOpenAIError(routed('{"message":"Model is warming up"}'))?.message).toBe("Model is warming up");
    expect(readOpenAIError(routed({ error: { message: "as an object" } }))?.message).toBe("as an object");
  });

  test("Anthropic's refusal of the prompt and `max_tokens` together reads as context_length_exceeded", () => {
    // Anthropic's second refusal (the first is "prompt is too long"), relayed by OpenRouter.
    const words =
      "input length and `max_tokens` exceed context limit: 197626 + 21333 > 200000, decrease input length or `max_tokens` and try again";
    const raw = JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: words } });
    expect(codeFromOpenAI(400, readOpenAIError(routed(raw)))).toBe("context_length_exceeded");
  });

  test("its body's type is the error's, OpenRouter's code (the status) kept: its account refusals judged by it", () => {
    const quota = {
      error: {
        message: "You exceeded your current quota…",
        type: "insufficient_quota",
        code: "insufficient_quota",
      },
    };
    expect(readOpenAIError(routed(JSON.stringify(quota)))).toEqual({
      message: quota.error.message,
      type: "insufficient_quota",
      code: "400",
    });
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    expect(readOpenAIError(routed(overloaded))?.type).toBe("overloaded_error");
    expect(readOpenAIError(routed(TOO_LONG))?.type).toBeUndefined();
  });

  test("its words are cut to 1,000 characters, as text or in its body: `raw` is the provider's, of any size", () => {
    const long = `Requested input length 39818 exceeds maximum input length 32767 ${"x".repeat(50_000)}`;
    for (const raw of [long, JSON.stringify({ error: { message: long } }), { error: { message: long } }]) {
      const said = readOpenAIError(routed(raw))?.message ?? "";
      expect(said).toBe(`${long.slice(0, 1000)}…`);
      expect(codeFromOpenAI(400, readOpenAIError(routed(raw)))).toBe("context_length_exceeded");
    }
  });

  test("OpenRouter's own words kept when they are not the generic ones, or the provider said none", () => {
    expect(readOpenAIError(routed(TOO_LONG, "Rate limit exceeded"))?.message).toBe("Rate limit exceeded");
    for (const raw of [undefined, "", "<html><body>502 Bad Gateway</body></html>", '{"status":502}', 7])
      expect(readOpenAIError(routed(raw))?.message).toBe("Provider returned error");
  });
});

describe("FastAPI's 422 (LlamaFactory's API and other servers built on FastAPI)", () => {
  const entry = (loc: (string | number)[], msg: string) => ({
    type: "literal_error",
    loc,
    msg,
    input: "critic",
  });

  test("its field's path without `body` names the param and begins the message", () => {
    const body = {
      detail: [
        entry(["body", "messages", 0, "role"], "Input should be 'system', 'user', 'assistant' or 'tool'"),
      ],
    };
    expect(readOpenAIError(body)).toEqual({
      message: "messages.0.role: Input should be 'system', 'user', 'assistant' or 'tool'",
      param: "messages.0.role",
    });
    expect(codeFromOpenAI(422, readOpenAIError(body))).toBe("invalid_request");
  });

  test("several entries in one message, the first one's field the param; many are counted, not said", () => {
    const two = {
      detail: [
        entry(["body", "model"], "Field required"),
        entry(["body", "temperature"], "Input should be a valid number"),
      ],
    };
    expect(readOpenAIError(two)).toEqual({
      message: "model: Field required; temperature: Input should be a valid number",
      param: "model",
    });
    const many = {
      detail: Array.from({ length: 8 }, (_, i) => entry(["body", "messages", i, "role"], "bad")),
    };
    expect(readOpenAIError(many)?.message).toBe(
      "messages.0.role: bad; messages.1.role: bad; messages.2.role: bad; messages.3.role: bad; messages.4.role: bad; and 3 more",
    );
    const long = { detail: [entry(["body", "messages"], "x".repeat(5000))] };
    expect(readOpenAIError(long)?.message).toHaveLength(1001);
  });

  test("an entry without a field (the body as a whole) is its words alone, with no param", () => {
    expect(
      readOpenAIError({ detail: [{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }] }),
    ).toEqual({
      message: "JSON decode error",
    });
  });
});

test("vLLM's error with its fields at the top keeps its message, and its context-length meaning", () => {
  const body = {
    object: "error",
    message:
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
    type: "BadRequestError",
    param: null,
    code: 400,
  };
  const read = readOpenAIError(body);
  expect(read).toEqual({ message: body.message, type: "BadRequestError" });
  expect(codeFromOpenAI(400, read)).toBe("context_length_exceeded");
  // Another object that merely has a message is no error body.
  expect(readOpenAIError({ object: "chat.completion", message: "hi" })).toBeUndefined();
});

test("llama.cpp's context overflow keeps its context-length meaning, by its type and by its words", () => {
  const body = {
    error: {
      code: 400,
      message: "the request exceeds the available context size, try increasing it",
      type: "exceed_context_size_error",
      n_prompt_tokens: 9000,
      n_ctx: 8192,
    },
  };
  expect(codeFromOpenAI(400, readOpenAIError(body))).toBe("context_length_exceeded");
  // The words alone, as a server that sends no such type says them.
  expect(codeFromOpenAI(400, readOpenAIError({ error: { message: body.error.message } }))).toBe(
    "context_length_exceeded",
  );
  // The type alone, whatever the words.
  expect(codeFromOpenAI(400, { type: "exceed_context_size_error", message: "too big" })).toBe(
    "context_length_exceeded",
  );
});

test.each([
  // SGLang's, in vLLM's older shape (its code the HTTP status); Together AI says the same words.
  {
    object: "error",
    message: "The input (61709 tokens) is longer than the model's context length (40960 tokens).",
    type: "BadRequestError",
    param: null,
    code: 400,
  },
  // xAI's, its words in a top-level `error`.
  {
    code: "Client specified an invalid argument",
    error: "This model's maximum prompt length is 131072 but the request contains 149617 tokens.",
  },
])("SGLang's and xAI's words for a prompt too long: context_length_exceeded", (body) => {
  expect(codeFromOpenAI(400, readOpenAIError(body))).toBe("context_length_exceeded");
});

describe("TGI's context-length refusals (a 422 with its words in `error`)", () => {
  const tgi = (message: string) => ({
    error: `Input validation error: ${message}`,
    error_type: "validation",
  });

  test.each([
    "`inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`",
    "`inputs` must have less than 4096 tokens. Given: 5000",
    // Its releases before the backticks.
    "input tokens + max_new_tokens must be <= 4096. Given: 4000 input tokens and 500 max_new_tokens",
    "inputs must have less than 4096 tokens. Given: 5000",
  ])("%s: context_length_exceeded", (message) => {
    expect(codeFromOpenAI(422, readOpenAIError(tgi(message)))).toBe("context_length_exceeded");
  });

  test("its other refusals are the caller's 422 as they were", () => {
    expect(codeFromOpenAI(422, readOpenAIError(tgi("`max_new_tokens` must be strictly positive")))).toBe(
      "invalid_request",
    );
    // Words alone are no refusal of the window at another status (a 500 that quotes one).
    expect(codeFromOpenAI(409, { message: "`inputs` must have less than 4096 tokens. Given: 5000" })).toBe(
      "invalid_request",
    );
  });
});

test("Anthropic's not_found_error is OpenAI's model_not_found only when it is about the model", () => {
  // Anthropic names the model so ("model: claude-…"); a file, a batch or a path not found is a
  // plain not-found, in OpenAI's words as the gateway's own 404s say it.
  const notFound = (message: string, status = 404) =>
    openAIWireError(
      new GatewayError({
        status,
        code: status === 404 ? "not_found" : "upstream_error",
        message,
        upstream: { dialect: "anthropic", status: 404, type: "not_found_error" },
      }),
    );
  expect(notFound("model: claude-sonnet-9")).toMatchObject({
    type: "invalid_request_error",
    code: "model_not_found",
  });
  // The same words in a stream's error event (a 502 there): still about the model.
  expect(notFound("model: claude-sonnet-9", 502)).toMatchObject({ code: "model_not_found" });
  for (const message of [
    "File not found: file_011CNha8iCJcU1wXNR6q4V8w",
    "Batch not found: msgbatch_013Zva2CMHLNnXjNJJKqJ2EF",
    "Not Found",
  ])
    expect([message, notFound(message)]).toEqual([
      message,
      { message, type: "invalid_request_error", param: null, code: "not_found" },
    ]);
});
