import { describe, expect, test } from "bun:test";
import { errorBody, errorEvent } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { readGoogleError } from "../../core/google-errors.ts";
import { statedDelayMs } from "../../core/stated-delay.ts";
import { fallbackClassOf } from "../../routing/fallback-on.ts";
import { RetryAdvice } from "../../routing/retry-advice.ts";
import { googleInBandError, inBandError } from "./in-band-error.ts";

test("Google's quota mid-stream reaches the caller's error event without the gateway's project", () => {
  const google = readGoogleError({
    error: {
      code: 429,
      message:
        "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:681255809395'.",
      status: "RESOURCE_EXHAUSTED",
    },
  });
  if (!google) throw new Error("not a Google error");
  const failure = googleInBandError(google);
  expect([failure.status, failure.upstream?.status]).toEqual([429, 429]);
  for (const wire of ["openai", "anthropic"] as const) {
    const data = errorEvent(failure, wire).data;
    expect(data).toContain("for consumer '(the gateway's upstream account)'");
    expect(data).not.toContain("681255809395");
  }
});

test("Google's day's quota mid-stream (QuotaFailure's quotaId …PerDay…) is spent for the day: not sent its route again; a minute's is a throttle, its wait told", () => {
  const exhausted = (quotaId: string) => {
    const google = readGoogleError({
      error: {
        code: 429,
        message: "You exceeded your current quota, please check your plan and billing details.",
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "47s" },
        ],
      },
    });
    if (!google) throw new Error("not a Google error");
    const failure = googleInBandError(google);
    return [failure.status, failure.sameRouteAgain, failure.headers["retry-after"]];
  };
  // Whether the route's breaker counts it is the router's to say, from `sameRouteAgain`
  // (routing/try-route.ts): router-google-failures.test.ts shows it for a stream's error event.
  expect(exhausted("GenerateRequestsPerDayPerProjectPerModel-FreeTier")).toEqual([429, false, "47"]);
  expect(exhausted("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")).toEqual([429, true, "47"]);
});

describe("an error said inside an answer is judged by its type or code, as an answer of that status is", () => {
  const responsesFailed = (code: string, message: string) => ({
    type: "response.failed",
    sequence_number: 2,
    response: { id: "resp_1", object: "response", status: "failed", error: { code, message } },
  });
  const TOO_LONG =
    "Your input exceeds the context window of this model. Please adjust your input and try again.";

  test("a prompt too long (the Responses API's response.failed, Codex's long conversation) is the caller's 400: not retried, not the route's, its code kept", () => {
    const failure = inBandError("openai", responsesFailed("context_length_exceeded", TOO_LONG));
    expect(verdict(failure)).toEqual([400, "context_length_exceeded", false, TOO_LONG]);
    // A Responses caller gets OpenAI's body back, its code the one Codex acts on ("ran out of room").
    expect(errorBody(failure, "openai")).toEqual({
      error: { message: TOO_LONG, code: "context_length_exceeded" },
    });
    // Told as Anthropic's API tells it, which Claude Code acts on.
    expect(errorBody(failure, "anthropic")).toMatchObject({
      error: {
        type: "invalid_request_error",
        message: `prompt is too long: ${TOO_LONG.charAt(0).toLowerCase()}${TOO_LONG.slice(1)}`,
      },
    });
    expect(fallbackClassOf(failure)).toBe("context_length");
  });

  test("the Responses API's error event, a whole response that failed and a chat server's error chunk alike", () => {
    const said = [
      {
        type: "error",
        sequence_number: 3,
        code: "invalid_prompt",
        message: "Invalid prompt: flagged.",
        param: null,
      },
      {
        id: "resp_1",
        object: "response",
        status: "failed",
        error: { code: "invalid_prompt", message: "Invalid prompt: flagged." },
      },
      // vLLM's, its code the status itself.
      { error: { object: "error", message: "Invalid prompt: flagged.", type: "BadRequestError", code: 400 } },
      { error: { message: "Invalid prompt: flagged.", type: "invalid_request_error", code: null } },
    ];
    for (const body of said)
      expect(verdict(inBandError("openai", body))).toEqual([
        400,
        "invalid_request",
        false,
        "Invalid prompt: flagged.",
      ]);
  });

  test("a rate limit is a 429 retried elsewhere; a server's failure a retryable 502; neither a caller's fault", () => {
    const limited = inBandError(
      "openai",
      responsesFailed("rate_limit_exceeded", "Please try again in 1.2s."),
    );
    expect(verdict(limited)).toEqual([429, "rate_limited", true, "Please try again in 1.2s."]);
    const failed = inBandError("openai", responsesFailed("server_error", "An error occurred."));
    expect(verdict(failed)).toEqual([502, "upstream_error", true, "An error occurred."]);
    expect(failed.countsAgainstRoute).toBe(true);
    // A code nobody knows is the upstream's failure too.
    expect(verdict(inBandError("openai", responsesFailed("vector_store_timeout", "slow")))).toEqual([
      502,
      "upstream_error",
      true,
      "slow",
    ]);
  });

  test("a rate limit said inside an answer says its wait in words, no header being there: read as the wait the router and the caller are told", () => {
    const limited = (message: string) => {
      const failure = inBandError("openai", responsesFailed("rate_limit_exceeded", message));
      const told = new RetryAdvice();
      told.heard(failure, statedDelayMs(failure.headers));
      const { headers } = told.told(failure);
      return [failure.sameRouteAgain, headers["retry-after"], headers["retry-after-ms"]];
    };
    // OpenAI's per-minute limit (Codex's own fixture): a retry after 1 s would be refused again.
    expect(
      limited(
        "Rate limit reached for gpt-5.1 in organization org-x on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more.",
      ),
    ).toEqual([true, "12", "11054"]);
    expect(limited("Rate limit reached. Please try again in 28ms.")).toEqual([true, "1", "28"]);
    // Groq's rolling day: a short wait stated is a throttle, as its HTTP 429's `retry-after: 6` is.
    expect(
      limited(
        "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_1` service tier `on_demand` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 6s.",
      ),
    ).toEqual([true, "6", "6000"]);
    // OpenAI's day: the route is spent (not sent the call again), the wait a Go duration.
    const day = inBandError(
      "openai",
      responsesFailed(
        "rate_limit_exceeded",
        "Rate limit reached for gpt-4o in organization org-x on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s.",
      ),
    );
    expect([day.sameRouteAgain, statedDelayMs(day.headers)]).toEqual([false, 432_000]);
    // Words that state no wait leave the caller the default second.
    expect(limited("Rate limit reached, slow down.")).toEqual([true, "1", undefined]);
  });

  test("the gateway's account refused (insufficient_quota, billing_not_active) is the route's, as its HTTP 429 is: failed over at once, in the gateway's words", () => {
    const quota = "You exceeded your current quota, please check your plan and billing details.";
    const failure = inBandError("openai", responsesFailed("insufficient_quota", quota));
    expect([...verdict(failure), failure.sameRouteAgain, failure.detail]).toEqual([
      502,
      "upstream_account",
      true,
      "the upstream refused the gateway's account (billing or quota)",
      false,
      quota,
    ]);
    expect(errorBody(failure, "openai")).not.toMatchObject({ error: { message: quota } });
    // An account whose billing is not active, said so in a stream, alike.
    const inactive = "Your account is not active, please check your billing details on our website.";
    const stopped = inBandError("openai", responsesFailed("billing_not_active", inactive));
    expect([...verdict(stopped), stopped.sameRouteAgain]).toEqual([
      502,
      "upstream_account",
      true,
      "the upstream refused the gateway's account (billing or quota)",
      false,
    ]);
  });

  test("Anthropic's error event by its type: a request refused is the caller's, an overload the upstream's", () => {
    const event = (type: string, message: string) => ({ type: "error", error: { type, message } });
    const tooLong = inBandError(
      "anthropic",
      event("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    );
    expect(verdict(tooLong)).toEqual([
      400,
      "context_length_exceeded",
      false,
      "prompt is too long: 210000 tokens > 200000 maximum",
    ]);
    // Claude Code's own caller gets Anthropic's event back as its body.
    expect(errorBody(tooLong, "anthropic")).toEqual(
      event("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    );
    expect(verdict(inBandError("anthropic", event("invalid_request_error", "tools.0: bad")))).toEqual([
      400,
      "invalid_request",
      false,
      "tools.0: bad",
    ]);
    expect(verdict(inBandError("anthropic", event("overloaded_error", "Overloaded")))).toEqual([
      502,
      "upstream_error",
      true,
      "Overloaded",
    ]);
    expect(verdict(inBandError("anthropic", event("rate_limit_error", "slow down")))).toEqual([
      429,
      "rate_limited",
      true,
      "slow down",
    ]);
  });

  test("Google's error object mid-stream by its canonical code: a prompt past the window is the caller's 400", () => {
    const said = (status: string, message: string) => {
      const google = readGoogleError({ error: { code: 400, message, status } });
      if (!google) throw new Error("not a Google error");
      return googleInBandError(google);
    };
    const words = "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).";
    expect(verdict(said("INVALID_ARGUMENT", words))).toEqual([400, "context_length_exceeded", false, words]);
    expect(verdict(said("INVALID_ARGUMENT", "bad schema"))).toEqual([
      400,
      "invalid_request",
      false,
      "bad schema",
    ]);
    expect(verdict(said("INTERNAL", "An internal error has occurred."))).toEqual([
      502,
      "upstream_error",
      true,
      "An internal error has occurred.",
    ]);
  });
});

/** What the router and the caller make of a failure: its status, code, whether retried, its words. */
const verdict = (failure: GatewayError) => [failure.status, failure.code, failure.retryable, failure.message];

test("OpenRouter's free models' day spent said inside an answer: a 429 whose retry headers say when its body's reset is", () => {
  const resetAt = Date.now() + 7_200_000;
  const error = inBandError("openai", {
    error: {
      message:
        "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
      code: 429,
      metadata: { headers: { "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(resetAt) } },
    },
  });
  expect(error.status).toBe(429);
  const waitMs = statedDelayMs(error.headers ?? {}) ?? 0;
  expect(waitMs).toBeGreaterThan(7_100_000);
  expect(waitMs).toBeLessThanOrEqual(7_200_000);
});
