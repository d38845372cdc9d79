import { expect, test } from "bun:test";
import { bedrockFailure } from "./bedrock-errors.ts";

test("a daily token quota is a 429 rate limit, not a prompt too long, whatever status AWS sends it with", () => {
  const quota = bedrockFailure(
    "br",
    400,
    "ServiceQuotaExceededException",
    "Too many tokens per day, please wait before trying again.",
  );
  expect([quota.status, quota.code, quota.param]).toEqual([429, "rate_limited", undefined]);
  // Spent for the day: not sent the same route again (the router fails over), and no Retry-After
  // of its own, so a caller is told not to retry at once (routing/retry-advice.ts).
  expect([quota.retryable, quota.sameRouteAgain, quota.headers]).toEqual([true, false, {}]);
  const throttled = bedrockFailure(
    "br",
    429,
    "ThrottlingException:http://internal.amazon.com/",
    "Too many requests",
    "7",
  );
  expect([throttled.status, throttled.headers["retry-after"], throttled.sameRouteAgain]).toEqual([
    429,
    "7",
    true,
  ]);
});

test("Input is too long is still context_length_exceeded on the request's field", () => {
  const tooLong = bedrockFailure("br", 400, "ValidationException", "Input is too long for requested model.");
  expect([tooLong.status, tooLong.code, tooLong.param]).toEqual([400, "context_length_exceeded", "messages"]);
  const embedding = bedrockFailure("br", 400, "ValidationException", "Input is too long", null, "input");
  expect(embedding.param).toBe("input");
});

test("ModelErrorException (424) is the model's fault, not the caller's: a retryable 502", () => {
  const failure = bedrockFailure(
    "br",
    424,
    "ModelErrorException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    "The model produced an invalid response. Try your request again.",
  );
  expect([failure.status, failure.code, failure.retryable]).toEqual([502, "upstream_error", true]);
  expect(failure.message).toContain("ModelErrorException: The model produced an invalid response");
});
