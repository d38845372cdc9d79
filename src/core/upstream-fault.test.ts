import { describe, expect, test } from "bun:test";
import { notThisRouteAgain, upstreamFault } from "./upstream-fault.ts";

const RPD =
  "Rate limit reached for gpt-4o in organization org-x on requests per day (RPD): Limit 10000, Used 10000, Requested 1.";
const GROQ_RPD =
  "Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01abc` service tier `on_demand` on requests per day (RPD): Limit 14400, Used 14400, Requested 1. Please try again in 6s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing";
const GROQ_TPD =
  "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01abc` service tier `on_demand` on tokens per day (TPD): Limit 100000, Used 99000, Requested 2000. Please try again in 14m24s.";

describe("a 429's kind, by the vendor's words and the wait it says", () => {
  test.each([
    ["OpenAI's requests per day, no wait said", RPD, undefined, "daily"],
    [
      "OpenAI's daily limit, its reset read as 360 s (x-ratelimit-reset-requests: 6m0s)",
      RPD,
      360_000,
      "daily",
    ],
    ["Groq's tokens per day, 14m24s to wait", GROQ_TPD, 864_000, "daily"],
    [
      "Bedrock's quota, its exception named",
      "ServiceQuotaExceededException: Too many tokens per day, please wait before trying again.",
      undefined,
      "daily",
    ],
    // Groq's RPD is a rolling window: a slot frees in 6 s, and the SDK that waits it is served.
    ["Groq's requests per day, 'try again in 6s' (retry-after: 6)", GROQ_RPD, 6_000, "throttle"],
    ["a wait the SDKs take as told (60 s)", RPD, 60_000, "throttle"],
    [
      "OpenAI's tokens per minute",
      "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.",
      644,
      "throttle",
    ],
    [
      "a request too large for the tier's tokens per day",
      "Request too large for gpt-4o in organization org-x on tokens per day (TPD): Limit 90000, Requested 100000.",
      undefined,
      "tier",
    ],
    [
      "a request too large for the tier's tokens per minute",
      "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 50000.",
      undefined,
      "tier",
    ],
    // Not any "per day": these are a minute's limits.
    [
      "a minute's limit that mentions the day's",
      "Rate limit exceeded: 60 requests per minute (you have 10000 requests per day left)",
      undefined,
      "throttle",
    ],
    [
      "a day's limit named beside a minute's that refused",
      "Limit 1000 requests per day; per-minute limit exceeded",
      undefined,
      "throttle",
    ],
    ["no words", undefined, undefined, "throttle"],
  ] as const)("%s", (_, message, statedWaitMs, fault) => {
    expect(upstreamFault(429, { message, statedWaitMs })).toBe(fault);
  });

  test.each([
    // Google's RetryInfo comes with every RESOURCE_EXHAUSTED, a day's among them: the minute's wait.
    [
      "Gemini's free tier's requests per day, RetryInfo 47 s",
      ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"],
      "daily",
    ],
    [
      "a day's quota named beside a minute's",
      [
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
      ],
      "daily",
    ],
    ["input tokens per day", ["GenerateContentInputTokensPerModelPerDay-FreeTier"], "daily"],
    ["Gemini's requests per minute", ["GenerateRequestsPerMinutePerProjectPerModel-FreeTier"], "throttle"],
    [
      "Vertex AI's per region and minute",
      ["GenerateContentRequestsPerMinutePerProjectPerRegion"],
      "throttle",
    ],
    ["no quota named", [], "throttle"],
  ] as const)("Google's QuotaFailure: %s", (_, quotaIds, fault) => {
    const message = "You exceeded your current quota, please check your plan and billing details.";
    expect(upstreamFault(429, { message, statedWaitMs: 47_000, quotaIds })).toBe(fault);
  });

  test("a day's quota is not sent its route again and counts towards its breaker; a tier's is not counted", () => {
    expect<object | undefined>(notThisRouteAgain("daily")).toEqual({ sameRouteAgain: false });
    expect<object | undefined>(notThisRouteAgain("tier")).toEqual({
      sameRouteAgain: false,
      countsAgainstRoute: false,
    });
    expect(notThisRouteAgain("throttle")).toBeUndefined();
  });
});

test("Azure's 400 OperationNotSupported is the operation's (the deployment does not serve the one called); another 400 is the request's", () => {
  expect(
    upstreamFault(400, {
      code: "OperationNotSupported",
      message: "The chatCompletion operation does not work with the specified model, text-embedding-3-small.",
    }),
  ).toBe("operation");
  expect(upstreamFault(400, { code: "invalid_request_error", message: "Invalid 'messages'." })).toBe(
    "request",
  );
});

test("Azure's 400 BadRequest refusing the api_version is the route's; a caller's BadRequest in other words stays the request's", () => {
  expect(upstreamFault(400, { code: "BadRequest", message: "API version not supported" })).toBe("route");
  expect(
    upstreamFault(400, {
      code: "BadRequest",
      message: "Model {modelName} is enabled only for api versions 2024-12-01-preview and later",
    }),
  ).toBe("route");
  expect(upstreamFault(400, { code: "BadRequest", message: "Invalid image data" })).toBe("request");
  expect(upstreamFault(400, { message: "API version not supported" })).toBe("request");
});
