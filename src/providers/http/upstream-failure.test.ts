import { describe, expect, test } from "bun:test";
import { errorBody, toldMessage } from "../../core/error-wire.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { bedrockFailure } from "../bedrock/bedrock-errors.ts";
import { answer, anthropicTooLong, openAI429, openAITooLong } from "./testing/upstream-answers.ts";
import { googleFailure, statusFailure, upstreamFailure } from "./upstream-failure.ts";

// An upstream's failure as the caller, the retry and the audit read it: its status, code and words
// across dialects, when to come back, timeouts. A refusal of the gateway itself:
// upstream-refusals.test.ts; an error inside a 200: upstream-error-in-answer.test.ts.

describe("upstream errors keep their meaning", () => {
  test("every upstream's 429 reaches OpenAI callers as OpenAI's code, rate_limit_exceeded; the gateway's own limits say rate_limited", () => {
    const upstreams = [
      upstreamFailure(
        "a",
        answer(429, { type: "error", error: { type: "rate_limit_error", message: "slow down" } }),
      ),
      googleFailure(
        "g",
        {
          status: "RESOURCE_EXHAUSTED",
          code: 429,
          message: "quota",
          reason: undefined,
          retryAfter: "3",
          quotaIds: [],
        },
        429,
      ),
      bedrockFailure("b", 429, "ThrottlingException", "Too many requests"),
      statusFailure("w", 429, "slow down"),
    ];
    for (const error of upstreams)
      expect(errorBody(error, "openai")).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    const own = new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "rpm",
      refusedBy: "requests",
    });
    expect(errorBody(own, "openai")).toMatchObject({
      error: { type: "rate_limit_error", code: "rate_limited" },
    });
  });

  test("a 429 stays a retryable 429 with its Retry-After, in both dialects", () => {
    const error = upstreamFailure("up", answer(429, openAI429, { "retry-after": "7" }));
    expect([error.status, error.code, error.retryable]).toEqual([429, "rate_limited", true]);
    expect(error.headers).toEqual({ "retry-after": "7" });
    expect(errorBody(error, "openai")).toEqual(openAI429); // same dialect: the body as sent
    expect(errorBody(error, "anthropic")).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "Rate limit reached" },
    });
    const fromAnthropic = upstreamFailure(
      "up",
      answer(
        429,
        { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
        { "retry-after": "3" },
      ),
    );
    expect(fromAnthropic.headers).toEqual({ "retry-after": "3" });
    expect(errorBody(fromAnthropic, "openai")).toEqual({
      error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" },
    });
  });

  test("a 429 or a server fault keeps retry-after-ms and x-should-retry beside Retry-After; a caller's 4xx none", () => {
    const advice = { "retry-after": "1", "retry-after-ms": "1200", "x-should-retry": "true" };
    const headers = { ...advice, "x-ratelimit-remaining-requests": "0" };
    expect(upstreamFailure("up", answer(429, openAI429, headers)).headers).toEqual(advice);
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    expect(upstreamFailure("up", answer(529, overloaded, headers)).headers).toEqual(advice);
    const refused = upstreamFailure("up", answer(429, openAI429, { "x-should-retry": "false" }));
    expect(refused.headers).toEqual({ "x-should-retry": "false" });
    expect(upstreamFailure("up", answer(400, openAITooLong, headers)).headers).toEqual({});
  });

  test("context_length_exceeded keeps its code and param across dialects", () => {
    const openai = upstreamFailure("up", answer(400, openAITooLong));
    expect([openai.status, openai.code, openai.param]).toEqual([400, "context_length_exceeded", "messages"]);
    expect(errorBody(openai, "openai")).toEqual(openAITooLong);
    expect(errorBody(openai, "anthropic")).toEqual({
      type: "error",
      // Anthropic's words, which Claude Code compacts on (no prompt size given: the reason follows).
      error: {
        type: "invalid_request_error",
        message: "prompt is too long: this model's maximum context length is 128000 tokens.",
      },
    });
    const anthropic = upstreamFailure("up", answer(400, anthropicTooLong));
    expect(errorBody(anthropic, "anthropic")).toEqual(anthropicTooLong);
    expect(errorBody(anthropic, "openai")).toEqual({
      error: {
        message: anthropicTooLong.error.message,
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    });
  });

  test("other 4xx keep status and message; our credentials refused (failed over, never retried on their route) and 5xx are 502s", () => {
    const conflict = upstreamFailure(
      "up",
      answer(422, { error: { message: "bad role", type: "invalid_request_error", code: null } }),
    );
    expect([conflict.status, conflict.code, conflict.retryable]).toEqual([422, "invalid_request", false]);
    const creds = upstreamFailure(
      "up",
      answer(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }),
    );
    expect([creds.status, creds.retryable, creds.sameRouteAgain]).toEqual([502, true, false]);
    expect(errorBody(creds, "anthropic")).toMatchObject({ error: { type: "api_error" } });
    const overloaded = upstreamFailure(
      "up",
      answer(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    );
    expect([overloaded.status, overloaded.code, overloaded.retryable]).toEqual([502, "upstream_error", true]);
    // Said as OpenAI says an overload (overload-wire.test.ts).
    expect(errorBody(overloaded, "openai")).toMatchObject({
      error: { type: "service_unavailable_error", code: "server_is_overloaded" },
    });
    expect(errorBody(overloaded, "anthropic")).toMatchObject({ error: { type: "overloaded_error" } });
    const text = upstreamFailure("up", { status: 500, headers: new Headers(), text: "<html>oops</html>" });
    expect(errorBody(text, "openai")).toMatchObject({
      error: { type: "server_error", code: "upstream_error" },
    });
  });

  test("a server fault's words reach a caller of either dialect without the key, URL or address they quote; a key at the cut is taken out whole", () => {
    const said =
      "LiteLLM: call to http://vllm-3.corp.internal:8000/v1?api_key=sk-abcdefghijklmnopqrstuvwx failed";
    const failure = upstreamFailure("oa", answer(500, { error: { message: said, type: "server_error" } }));
    const told = "upstream oa answered 500: LiteLLM: call to (a URL) failed";
    expect(toldMessage(failure, "anthropic")).toBe(told);
    expect(errorBody(failure, "openai")).toEqual({
      error: { message: "LiteLLM: call to (a URL) failed", type: "server_error" },
    });
    // Cut at 300 characters, a key across the cut would leave its first 20 there, no longer a key's shape.
    const long = `${"x".repeat(280)} key sk-abcdefghijklmnopqrstuvwx`;
    const cut = statusFailure("gm", 503, long);
    expect(cut.message).not.toContain("sk-abc");
    expect(cut.message).toContain("[redacted]");
  });

  test("a body of no dialect (an HTML page, nothing) is the failure of the upstream's dialect when the reader knows it", () => {
    const page = { status: 503, headers: new Headers({ "retry-after": "9" }), text: "<html>down</html>" };
    const known = upstreamFailure("up", page, "anthropic");
    expect([known.status, known.upstream?.dialect, known.upstream?.status]).toEqual([502, "anthropic", 503]);
    expect(known.headers).toEqual({ "retry-after": "9" });
    expect(upstreamFailure("up", { ...page, text: "" }, "openai").upstream?.dialect).toBe("openai");
    // Unknown (a translated reply's reader): no dialect's, so no caller's own.
    expect(upstreamFailure("up", page).upstream?.dialect).toBeUndefined();
    // A body that speaks a dialect says which, whatever the reader thought.
    const spoken = upstreamFailure("up", answer(503, { error: { message: "down" } }), "anthropic");
    expect(spoken.upstream?.dialect).toBe("openai");
  });

  test("a body of no dialect that is words (plain text, a top-level message) keeps them, as the SDKs read them; markup none", async () => {
    const plain = (status: number, text: string) => ({ status, headers: new Headers(), text });
    // A caller's 400 in plain text (a Go server's http.Error): its reason is the caller's to read.
    const refused = upstreamFailure("up", plain(400, "model 'x' does not support tools\n"), "openai");
    expect([refused.status, refused.code, refused.message]).toEqual([
      400,
      "invalid_request",
      "model 'x' does not support tools",
    ]);
    expect((errorBody(refused, "anthropic") as { error: { message: string } }).error.message).toBe(
      "model 'x' does not support tools",
    );
    // Envoy's 503: a server fault, its words after the gateway's account, as any server fault's.
    const envoy = upstreamFailure(
      "up",
      plain(503, "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
      "openai",
    );
    expect([envoy.status, envoy.upstream?.status, envoy.message]).toEqual([
      502,
      503,
      "upstream up answered 503: upstream connect error or disconnect/reset before headers. reset reason: overflow",
    ]);
    // Azure API Management's own 429, in front of Azure OpenAI.
    const apim = upstreamFailure(
      "up",
      answer(
        429,
        { statusCode: 429, message: "Rate limit is exceeded. Try again in 60 seconds." },
        { "retry-after": "60" },
      ),
    );
    expect([apim.status, apim.message, apim.headers]).toEqual([
      429,
      "Rate limit is exceeded. Try again in 60 seconds.",
      { "retry-after": "60" },
    ]);
    // A proxy's page and nothing stay in the gateway's words; a long text is cut.
    const page = upstreamFailure("up", plain(502, "  <html><body>502 Bad Gateway</body></html>"), "openai");
    expect(page.message).toBe("upstream up answered 502");
    expect(upstreamFailure("up", plain(400, " \n"), "openai").message).toBe(
      "upstream up rejected the request (400)",
    );
    expect(upstreamFailure("up", plain(400, "x".repeat(5000))).message).toBe(`${"x".repeat(300)}…`);
    // A 404 of plain words is still no API's answer: the route's.
    const lost = upstreamFailure("up", plain(404, "404 page not found"), "openai");
    expect([lost.status, lost.code, lost.sameRouteAgain]).toEqual([502, "upstream_error", false]);
  });
});

describe("when to come back, from a 429's rate-limit headers", () => {
  test("OpenAI's daily limit says only x-ratelimit-reset-requests: read as retry-after-ms and Retry-After", () => {
    const daily = upstreamFailure(
      "oa",
      answer(429, openAI429, {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-reset-tokens": "0s",
      }),
    );
    expect(daily.headers).toEqual({ "retry-after": "360", "retry-after-ms": "360000" });
    const tokens = upstreamFailure(
      "oa",
      answer(429, openAI429, {
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-reset-tokens": "644ms",
      }),
    );
    expect(tokens.headers).toEqual({ "retry-after": "1", "retry-after-ms": "644" });
    // A stated Retry-After wins; a server fault's reset headers say nothing of when to retry.
    const stated = answer(429, openAI429, { "retry-after": "20", "x-ratelimit-reset-requests": "20s" });
    expect(upstreamFailure("oa", stated).headers).toEqual({ "retry-after": "20" });
    const fault = answer(500, { error: { message: "boom" } }, { "x-ratelimit-reset-requests": "120ms" });
    expect(upstreamFailure("oa", fault).headers).toEqual({});
  });
});

describe("Bedrock and Google failures keep the upstream's status for the audit", () => {
  test("a server fault's attempt status is Bedrock's, and AWS's exception name keeps its case in Anthropic's words", () => {
    const unavailable = bedrockFailure(
      "br",
      503,
      "ServiceUnavailableException",
      "Bedrock is unable to process your request.",
    );
    expect([unavailable.status, unavailable.upstream?.status]).toEqual([502, 503]);
    const quota = bedrockFailure("br", 400, "ServiceQuotaExceededException", "Too many tokens per day");
    expect([quota.status, quota.upstream?.status]).toEqual([429, 400]);
    const tooLong = bedrockFailure(
      "br",
      400,
      "ValidationException",
      "Input is too long for requested model.",
    );
    expect(errorBody(tooLong, "anthropic")).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "prompt is too long: ValidationException: Input is too long for requested model.",
      },
    });
  });
});

describe("an upstream's timeout is a 504 in each caller's dialect, whichever vendor timed out", () => {
  test("Anthropic's 504 timeout_error (answered, or its stream's error event) and an OpenAI-compatible 504: the gateway's retryable upstream_timeout", async () => {
    const { errorResponse } = await import("../../http/error-body.ts");
    const { inBandError } = await import("../../translate/stream/in-band-error.ts");
    const timeout = { type: "error", error: { type: "timeout_error", message: "Request timed out" } };
    const openai504 = {
      error: { message: "Gateway timeout", type: "server_error", param: null, code: null },
    };
    const failures = [
      upstreamFailure("claude", answer(504, timeout)),
      inBandError("anthropic", timeout),
      upstreamFailure("oa", answer(504, openai504)),
    ];
    for (const failure of failures) {
      expect([failure.status, failure.code, failure.retryable]).toEqual([504, "upstream_timeout", true]);
      const toOpenAI = errorResponse(failure, "openai", {});
      const toAnthropic = errorResponse(failure, "anthropic", {});
      expect([toOpenAI.status, toAnthropic.status]).toEqual([504, 504]);
      expect(((await toAnthropic.json()) as { error: { type: string } }).error.type).toBe("timeout_error");
    }
    // A caller of the upstream's own dialect still gets its body as sent.
    expect(errorBody(failures[0] as GatewayError, "anthropic")).toEqual(timeout);
    expect(errorBody(failures[2] as GatewayError, "openai")).toEqual(openai504);
  });
});
