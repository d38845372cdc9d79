import { describe, expect, test } from "bun:test";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { errorBody, responsesFailure, toldMessage } from "./error-wire.ts";
import { GatewayError } from "./gateway-error.ts";

/** An upstream's 500 as the provider reads it: the gateway's words, the upstream's body kept. */
const upstream500 = (body: Record<string, unknown>, dialect: "openai" | "anthropic") =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: "upstream fake answered 500",
    upstream: { dialect, status: 500, body, text: JSON.stringify(body) },
  });

describe("toldMessage", () => {
  test("a caller of the upstream's dialect reads the upstream's own words", () => {
    const openai = upstream500({ error: { message: "upstream exploded", type: "server_error" } }, "openai");
    expect(toldMessage(openai, "openai")).toBe("upstream exploded");
    const anthropic = upstream500(
      { type: "error", error: { type: "api_error", message: "overheated" } },
      "anthropic",
    );
    expect(toldMessage(anthropic, "anthropic")).toBe("overheated");
  });

  test("a caller of another dialect reads the gateway's words, as its error body says them", () => {
    const openai = upstream500({ error: { message: "upstream exploded" } }, "openai");
    expect(toldMessage(openai, "anthropic")).toBe("upstream fake answered 500");
  });

  test("a relayed body without a message, or the gateway's own error, gives the gateway's words", () => {
    expect(toldMessage(upstream500({ error: { type: "server_error" } }, "openai"), "openai")).toBe(
      "upstream fake answered 500",
    );
    const own = new GatewayError({ status: 404, code: "model_not_found", message: "no such model" });
    expect(toldMessage(own, "openai")).toBe("no such model");
    expect(toldMessage(own, "anthropic")).toBe("no such model");
  });
});

describe("errorBody: an OpenAI-compatible server's body in another shape than OpenAI's", () => {
  // FastAPI's 422 as the provider reads it (providers/http/upstream-failure.ts): its words and
  // field, the body kept.
  const body = {
    detail: [{ type: "literal_error", loc: ["body", "messages", 0, "role"], msg: "Input should be 'user'" }],
  };
  const fastApi = new GatewayError({
    status: 422,
    code: "invalid_request",
    message: "messages.0.role: Input should be 'user'",
    param: "messages.0.role",
    upstream: { dialect: "openai", status: 422, body, text: JSON.stringify(body) },
  });

  test("reaches an OpenAI caller in OpenAI's shape, which its SDKs read (not as sent)", () => {
    expect(errorBody(fastApi, "openai")).toEqual({
      error: {
        message: "messages.0.role: Input should be 'user'",
        type: "invalid_request_error",
        param: "messages.0.role",
        code: "invalid_request",
      },
    });
  });

  test("reaches an Anthropic caller in Anthropic's, its words kept", () => {
    expect(errorBody(fastApi, "anthropic")).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "messages.0.role: Input should be 'user'" },
    });
  });

  test('a server fault\'s `{"error":"text"}`: its words to an OpenAI caller in OpenAI\'s shape, the gateway\'s across dialects', () => {
    const text = { error: "model not loaded" };
    const fault = upstream500(text, "openai");
    expect(errorBody(fault, "openai")).toMatchObject({
      error: { message: "model not loaded", type: "server_error", code: "upstream_error" },
    });
    expect(toldMessage(fault, "anthropic")).toBe("upstream fake answered 500");
  });
});

describe("the gateway's upstream account is not told to callers", () => {
  const ORG_429 =
    "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on requests per min (RPM): Limit 500, Used 500, Requested 1.";
  const SCRUBBED_429 =
    "Rate limit reached for gpt-4o in organization (the gateway's upstream account) on requests per min (RPM): Limit 500, Used 500, Requested 1.";
  const body = { error: { message: ORG_429, type: "requests", param: null, code: "rate_limit_exceeded" } };
  const limited = new GatewayError({
    status: 429,
    code: "rate_limited",
    message: ORG_429,
    upstream: {
      dialect: "openai",
      status: 429,
      type: "requests",
      code: "rate_limit_exceeded",
      body,
      text: JSON.stringify(body),
    },
  });

  test("a relayed body keeps its fields, its message scrubbed; the audit row's message alike", () => {
    expect(errorBody(limited, "openai")).toEqual({ error: { ...body.error, message: SCRUBBED_429 } });
    expect(toldMessage(limited, "openai")).toBe(SCRUBBED_429);
  });

  test("a translated error's message is scrubbed, its type and code mapped as ever", () => {
    expect(errorBody(limited, "anthropic")).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: SCRUBBED_429 },
    });
    // A Google error: no body travels, its message is the upstream's own.
    const google = new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "Quota exceeded for quota metric 'x' for consumer 'project_number:681255809395'.",
      upstream: { dialect: undefined, status: 429 },
    });
    expect(errorBody(google, "openai")).toMatchObject({
      error: {
        message: "Quota exceeded for quota metric 'x' for consumer '(the gateway's upstream account)'.",
        code: "rate_limit_exceeded",
      },
    });
  });
});

describe("a context-length refusal in OpenAI's shape without OpenAI's code", () => {
  // llama.cpp's server, and vLLM since it wraps its error in `error` (its code the HTTP status).
  const llamaCpp = {
    error: {
      code: 400,
      message: "request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it",
      type: "exceed_context_size_error",
      n_prompt_tokens: 4476,
      n_ctx: 4096,
    },
  };
  const vllm = {
    error: {
      message:
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
      type: "BadRequestError",
      param: null,
      code: 400,
    },
  };
  const refused = (body: Record<string, unknown>) =>
    upstreamFailure(
      "worker:gpu-1",
      { status: 400, headers: new Headers(), text: JSON.stringify(body) },
      "openai",
    );

  test("reaches an OpenAI caller with code context_length_exceeded, the server's words kept (Codex compacts on it)", () => {
    for (const body of [llamaCpp, vllm]) {
      const wire = errorBody(refused(body), "openai").error as Record<string, unknown>;
      expect(wire.code).toBe("context_length_exceeded");
      expect(wire.type).toBe("invalid_request_error");
      expect(wire.message).toBe(body.error.message);
      const [event] = responsesFailure(refused(body), 0, { id: "resp_1" });
      expect(JSON.parse(event?.data ?? "{}").code).toBe("context_length_exceeded");
    }
  });

  test("OpenAI's own refusal still goes as sent", () => {
    const own = {
      error: {
        message: "too long",
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
        extra: 1,
      },
    };
    expect(errorBody(refused(own), "openai")).toEqual(own);
  });
});

describe("a context-length refusal in Anthropic's shape but an engine's words (vLLM's, SGLang's /v1/messages)", () => {
  const engine = (type: string, message: string) => ({ type: "error", error: { type, message } });
  const refused = (body: Record<string, unknown>) =>
    upstreamFailure("vllm", { status: 400, headers: new Headers(), text: JSON.stringify(body) }, "anthropic");

  test("reaches an Anthropic caller in Anthropic's words, whichever type it gave (Claude Code acts on them)", () => {
    for (const type of ["BadRequestError", "invalid_request_error"]) {
      const body = engine(
        type,
        "This model's maximum context length is 16384 tokens. However, your request has 20000 input tokens.",
      );
      expect(errorBody(refused(body), "anthropic")).toEqual({
        type: "error",
        error: { type: "invalid_request_error", message: "prompt is too long: 20000 tokens > 16384 maximum" },
      });
    }
  });

  test("Anthropic's own words still go as sent", () => {
    const own = engine("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum");
    expect(errorBody(refused(own), "anthropic")).toEqual(own);
  });
});
