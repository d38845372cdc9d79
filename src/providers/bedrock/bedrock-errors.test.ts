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

test("Claude's own refusal of a prompt and max_tokens past its window, in a ValidationException, is context_length_exceeded as from Anthropic's API", () => {
  const words =
    "input length and `max_tokens` exceed context limit: 150000 + 64000 > 200000, decrease input length or `max_tokens` and try again";
  const refused = bedrockFailure("br", 400, "ValidationException:http://internal.amazon.com/", words);
  expect([refused.status, refused.code, refused.param]).toEqual([400, "context_length_exceeded", "messages"]);
  expect(refused.message).toContain(`ValidationException: ${words}`);
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

test("a ValidationException that says the route's model id is wrong is the route's fault, as a 404 ResourceNotFoundException is: a 502 failed over and counted, Bedrock's words in the log alone", () => {
  const TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/";
  const said = [
    // A model id Bedrock has not (a typo, a bare name), or not in the route's region.
    "The provided model identifier is invalid.",
    // A model served only through an inference profile (`us.anthropic.…`), named by its base id.
    "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
    "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
    // A model with provisioned throughput only.
    "The provided model doesn't support on-demand throughput.",
  ];
  for (const message of said) {
    const failure = bedrockFailure("br", 400, TYPE, message);
    expect([failure.status, failure.code, failure.retryable, failure.sameRouteAgain]).toEqual([
      502,
      "upstream_error",
      true,
      false,
    ]);
    expect(failure.message).toBe("upstream br answered 400: the route's model or URL is not found there");
    expect(failure.detail).toBe(`ValidationException: ${message}`);
    expect(failure.upstream?.status).toBe(400);
  }
  const notFound = bedrockFailure("br", 404, "ResourceNotFoundException", "Model not found.");
  expect([notFound.status, notFound.code, notFound.sameRouteAgain]).toEqual([502, "upstream_error", false]);
});

test("a ValidationException about the request, or words like the route's elsewhere in it, stays the caller's 400", () => {
  for (const message of [
    "The text field in the ContentBlock object at messages.1.content.0 is blank. Add text to the text field, and try again.",
    "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    "messages.0.content: the provided model identifier is invalid in a tool's description the caller wrote",
  ]) {
    const failure = bedrockFailure("br", 400, "ValidationException", message);
    expect([failure.status, failure.code]).toEqual([400, "invalid_request"]);
  }
  // The same words in another exception than ValidationException are not read as the route's.
  const other = bedrockFailure("br", 400, "SomeOtherException", "The provided model identifier is invalid.");
  expect(other.status).toBe(400);
});

test("a day's token quota that Bedrock says as a ThrottlingException (429, or a stream's throttlingException frame) is spent for the day, as its ServiceQuotaExceededException is; a minute's is still waited out", () => {
  // botocore: "ThrottlingException … (reached max retries: 4): Too many tokens per day, please wait before trying again."
  const daily = "Too many tokens per day, please wait before trying again.";
  for (const type of [
    "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    "throttlingException",
  ]) {
    const spent = bedrockFailure("br", 429, type, daily);
    expect([spent.status, spent.code, spent.retryable, spent.sameRouteAgain]).toEqual([
      429,
      "rate_limited",
      true,
      false,
    ]);
  }
  const minute = bedrockFailure(
    "br",
    429,
    "ThrottlingException",
    "Too many tokens, please wait before trying again.",
  );
  expect([minute.status, minute.sameRouteAgain]).toEqual([429, true]);
});

test("ModelTimeoutException (AWS's 408: the model took too long) is an upstream timeout, as Google's DEADLINE_EXCEEDED is: a retryable 504 in either caller's dialect", async () => {
  const { errorResponse } = await import("../../http/error-body.ts");
  const { googleFailure } = await import("../http/upstream-failure.ts");
  const words = "Model has timed out in processing the request. Try your request again.";
  const bedrock = bedrockFailure("br", 408, "ModelTimeoutException", words);
  const google = googleFailure(
    "gm",
    {
      status: "DEADLINE_EXCEEDED",
      code: 504,
      message: "Deadline expired before operation could complete.",
      reason: undefined,
      retryAfter: undefined,
      quotaIds: [],
    },
    504,
  );
  for (const failure of [bedrock, google]) {
    expect([failure.status, failure.code, failure.retryable, failure.sameRouteAgain]).toEqual([
      504,
      "upstream_timeout",
      true,
      true,
    ]);
    const openai = errorResponse(failure, "openai", {});
    const anthropic = errorResponse(failure, "anthropic", {});
    expect([openai.status, ((await openai.json()) as { error: { code: string } }).error.code]).toEqual([
      504,
      "upstream_timeout",
    ]);
    expect([anthropic.status, ((await anthropic.json()) as { error: { type: string } }).error.type]).toEqual([
      504,
      "timeout_error",
    ]);
  }
  expect(bedrock.message).toBe(`upstream br timed out: ModelTimeoutException: ${words}`);
  // The attempt keeps the status Bedrock answered with.
  expect(bedrock.upstream?.status).toBe(408);
  // A stream's exception frame (InvokeModelWithResponseStream) names it in lower camel case.
  expect(bedrockFailure("br", 408, "modelTimeoutException", words).code).toBe("upstream_timeout");
});
