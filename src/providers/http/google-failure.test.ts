import { describe, expect, test } from "bun:test";
import { errorBody } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { jsonFixture } from "../../translate/fixtures/load-fixture.ts";
import { upstreamFailure } from "./upstream-failure.ts";

// Google's recorded error bodies (google.rpc.Status) judged by their canonical code: never relayed
// as an OpenAI body, whichever dialect the caller speaks.
const recorded = jsonFixture("gemini/errors.json") as Record<
  string,
  { error: { code: number; message: string } }
>;
const failure = (name: string, headers: Record<string, string> = {}, inArray = false) => {
  const body = recorded[name];
  if (!body) throw new Error(`no fixture ${name}`);
  return upstreamFailure("gm", {
    status: body.error.code,
    headers: new Headers(headers),
    text: JSON.stringify(inArray ? [body] : body),
  });
};

describe("Google's errors in the caller's dialect", () => {
  test("RESOURCE_EXHAUSTED is a retryable 429, Retry-After from RetryInfo rounded up", () => {
    const error = failure("rateLimited");
    expect([error.status, error.code, error.retryable]).toEqual([429, "rate_limited", true]);
    expect(error.headers).toEqual({ "retry-after": "12" });
    expect(errorBody(error, "openai")).toEqual({
      error: {
        message: "You exceeded your current quota, please check your plan and billing details.",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "rate_limit_error" } });
    // The reply's own header, when it sent one, wins.
    expect(failure("rateLimited", { "retry-after": "3" }).headers).toEqual({ "retry-after": "3" });
  });

  test("a day's quota named in QuotaFailure (quotaId …PerDay…) is spent for the day, whatever RetryInfo says: not sent its route again, its breaker counts it; a minute's is a throttle", () => {
    const daily = failure("dailyQuota");
    expect([
      daily.status,
      daily.code,
      daily.retryable,
      daily.sameRouteAgain,
      daily.countsAgainstRoute,
    ]).toEqual([429, "rate_limited", true, false, true]);
    // Google's own words and delay are relayed as they are: the caller is told not to retry at
    // once by the run (routing/retry-advice.ts), the route being spent.
    expect(daily.headers).toEqual({ "retry-after": "47" });
    expect(errorBody(daily, "openai")).toMatchObject({
      error: {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        message: expect.stringContaining("limit: 50"),
      },
    });
    // A 429 its route may be sent again is never counted by the breaker (routing/try-route.ts).
    expect(failure("rateLimited").sameRouteAgain).toBe(true);
  });

  test("a day's quota named in ErrorInfo's quota_limit (Vertex AI, Google Cloud) is spent for the day as QuotaFailure's is; a minute's is a throttle; a malformed violation costs the others nothing", () => {
    // Vertex AI's 429: the quota in ErrorInfo (google/rpc/error_reason.proto's RATE_LIMIT_EXCEEDED
    // shape), no QuotaFailure; the project is the gateway's.
    const vertex = (quotaLimit: string) =>
      upstreamFailure("vx", {
        status: 429,
        headers: new Headers(),
        text: JSON.stringify({
          error: {
            code: 429,
            message: `Quota exceeded for aiplatform.googleapis.com/${quotaLimit} with base model: gemini-2.0-flash. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.`,
            status: "RESOURCE_EXHAUSTED",
            details: [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: "RATE_LIMIT_EXCEEDED",
                domain: "googleapis.com",
                metadata: {
                  consumer: "projects/123456789012",
                  service: "aiplatform.googleapis.com",
                  quota_metric: "aiplatform.googleapis.com/generate_content_requests_per_base_model",
                  quota_limit: quotaLimit,
                  quota_location: "us-central1",
                },
              },
              { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "30s" },
            ],
          },
        }),
      });
    const judged = (error: GatewayError) => [error.status, error.sameRouteAgain, error.countsAgainstRoute];
    expect(judged(vertex("GenerateContentRequestsPerDayPerProjectPerBaseModel"))).toEqual([429, false, true]);
    expect(vertex("GenerateContentRequestsPerMinutePerProjectPerBaseModel").sameRouteAgain).toBe(true);
    // One violation Google's schema would not give (a number for an id) beside the day's own.
    const recordedDaily = recorded.dailyQuota as unknown as { error: { details: object[] } };
    const withMalformed = structuredClone(recordedDaily);
    withMalformed.error.details[0] = {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaId: 42 }, "lost", { quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }],
    };
    const malformed = upstreamFailure("gm", {
      status: 429,
      headers: new Headers(),
      text: JSON.stringify(withMalformed),
    });
    expect(judged(malformed)).toEqual([429, false, true]);
  });

  test("a prompt over the window is context_length_exceeded on messages; Anthropic's words with the numbers", () => {
    const error = failure("tooLong");
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "messages"]);
    expect(errorBody(error, "openai")).toMatchObject({
      error: { type: "invalid_request_error", code: "context_length_exceeded", param: "messages" },
    });
    expect(errorBody(error, "anthropic")).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "prompt is too long: 1200000 tokens > 1048576 maximum",
      },
    });
  });

  test.each([
    ["apiKeyInvalid", "upstream gm rejected the gateway's credentials", 400],
    ["unauthenticated", "upstream gm rejected the gateway's credentials", 401],
    ["permissionDenied", "upstream gm refused the gateway's request (forbidden)", 403],
  ])(
    "%s refuses the gateway itself: a 502 naming the provider, not the caller's key; Google's words for the log",
    (name, message, answered) => {
      const error = failure(name);
      expect([error.status, error.code, error.sameRouteAgain]).toEqual([502, "upstream_auth", false]);
      expect(error.message).toBe(message);
      expect(error.detail).toBe(recorded[name]?.error.message);
      // The attempt's audit entry keeps the status Google sent.
      expect(error.upstream?.status).toBe(answered);
      expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "api_error", message } });
    },
  );

  test("FAILED_PRECONDITION (location, billing) is the gateway's deployment: a retryable 502 naming the provider", () => {
    const error = failure("failedPrecondition");
    expect([error.status, error.code, error.retryable]).toEqual([502, "upstream_error", true]);
    expect(error.message).toBe(
      "upstream gm refused the gateway's deployment: User location is not supported for the API use.",
    );
    expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "api_error" } });
    expect(errorBody(error, "openai")).toMatchObject({ error: { type: "server_error" } });
  });

  test("the free tier's billing refusal is the gateway's deployment too", () => {
    const error = failure("freeTierBilling");
    expect([error.status, error.code, error.retryable, error.sameRouteAgain]).toEqual([
      502,
      "upstream_error",
      true,
      false,
    ]);
    expect(error.message).toStartWith("upstream gm refused the gateway's deployment: Gemini API free tier");
  });

  test("any other FAILED_PRECONDITION (a fileData file not ACTIVE) is the caller's 400 in Google's words", () => {
    const error = failure("fileNotActive");
    expect([error.status, error.code, error.retryable]).toEqual([400, "invalid_request", false]);
    expect(errorBody(error, "openai")).toEqual({
      error: {
        message: "The File 8kq3v1x2yz is not in an ACTIVE state and usage is not allowed.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
  });

  test("NOT_FOUND is the route's model unknown: a 502 failed over; INVALID_ARGUMENT the caller's 400 with Google's message", () => {
    const missing = failure("notFound");
    expect([missing.status, missing.code, missing.retryable, missing.sameRouteAgain]).toEqual([
      502,
      "upstream_error",
      true,
      false,
    ]);
    expect(errorBody(missing, "anthropic")).toMatchObject({ error: { type: "api_error" } });
    expect(JSON.stringify(errorBody(missing, "openai"))).not.toContain("gemini-9");
    const invalid = failure("invalidArgument");
    expect([invalid.status, invalid.code, invalid.retryable]).toEqual([400, "invalid_request", false]);
    expect(errorBody(invalid, "openai")).toEqual({
      error: {
        message: "Request contains an invalid argument.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
  });

  test("UNAVAILABLE and INTERNAL are retryable 5xx; DEADLINE_EXCEEDED a retryable 504", () => {
    for (const [name, answered] of [
      ["unavailable", 503],
      ["internal", 500],
    ] as const) {
      const error = failure(name);
      expect([error.status, error.code, error.retryable]).toEqual([502, "upstream_error", true]);
      expect(errorBody(error, "openai")).not.toHaveProperty("error.status");
      // The attempt's audit entry keeps Google's status, not the 502 a caller gets.
      expect(error.upstream?.status).toBe(answered);
    }
    const deadline = failure("deadline");
    expect([deadline.status, deadline.code, deadline.retryable]).toEqual([504, "upstream_timeout", true]);
    expect(errorBody(deadline, "anthropic")).toMatchObject({ error: { type: "timeout_error" } });
  });

  test("the envelope as a JSON array's one element (streamGenerateContent's) is read as the object: a refused key, RetryInfo's delay, a prompt over the window", () => {
    const key = failure("apiKeyInvalid", {}, true);
    expect([key.status, key.code]).toEqual([502, "upstream_auth"]);
    const limited = failure("rateLimited", {}, true);
    expect([limited.status, limited.code, limited.headers]).toEqual([
      429,
      "rate_limited",
      { "retry-after": "12" },
    ]);
    const tooLong = failure("tooLong", {}, true);
    expect([tooLong.status, tooLong.code, tooLong.param]).toEqual([
      400,
      "context_length_exceeded",
      "messages",
    ]);
    // Two elements are no error envelope of Google's: judged by the status alone.
    const two = upstreamFailure("gm", {
      status: 400,
      headers: new Headers(),
      text: JSON.stringify([recorded.apiKeyInvalid, recorded.apiKeyInvalid]),
    });
    expect(two.code).not.toBe("upstream_auth");
  });
});
