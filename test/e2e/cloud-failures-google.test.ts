import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { cloudFailuresFixture } from "./harness/cloud-failures-fixture.ts";
import { anthropicFailure, drained, openaiFailure } from "./harness/sdk-failure.ts";

// Google's errors in the caller's dialect (harness/cloud-gateway.ts, split from
// cloud-failures.test.ts), never relayed in Google's shape: Gemini's and Vertex's, whole and
// mid-stream.

const { clouds, chatFailure, failNext, messagesFailure, rowOf } = cloudFailuresFixture();

describe("vendor failures in the caller's dialect", () => {
  test("a Gemini 503 that quotes a key and an internal URL: neither reaches the caller nor its audit row", async () => {
    const message =
      "Backend http://tpu-7.corp.internal:8471/v1/generate refused key sk-abcdefghijklmnopqrst1234.";
    const told = "upstream gm answered 503: Backend (a URL) refused key [redacted].";
    failNext({ status: 503, type: "UNAVAILABLE", message });
    const error = await chatFailure("gemini-flash");
    expect([error.status, (error.error as { message?: string }).message]).toEqual([503, told]);
    expect(await rowOf(error)).toMatchObject({ status: 503, errorMessage: told });
  });

  test("a Gemini error keeps its status class and message", async () => {
    failNext({
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "Request contains an invalid argument.",
    });
    const error = await messagesFailure("gemini-flash");
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("invalid argument");
  });
});

describe("Google's errors said in the caller's dialect, never relayed in Google's shape", () => {
  const QUOTA = {
    status: 429,
    type: "RESOURCE_EXHAUSTED",
    message: "You exceeded your current quota, please check your plan and billing details.",
    google: { retryDelay: "12.4s" },
  };

  test.each(["gemini-flash", "vertex-flash", "claude-vertex"])(
    "%s: RESOURCE_EXHAUSTED is a 429 rate_limit_error with Retry-After from RetryInfo",
    async (model) => {
      failNext(QUOTA);
      const error = await chatFailure(model);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.headers?.get("retry-after")).toBe("13");
      expect(error.error).toEqual({
        message: QUOTA.message,
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      });
      failNext(QUOTA);
      const refused = await messagesFailure(model);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect(refused.headers?.get("retry-after")).toBe("13");
      expect(refused.error).toEqual({
        type: "error",
        error: { type: "rate_limit_error", message: QUOTA.message },
        request_id: expect.stringMatching(/^req_/),
      });
    },
  );

  test("a prompt over Gemini's window is context_length_exceeded on messages; Anthropic callers read prompt is too long", async () => {
    const tooLong = {
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    };
    failNext(tooLong);
    const error = await chatFailure("gemini-flash");
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param, error.type]).toEqual([
      "context_length_exceeded",
      "messages",
      "invalid_request_error",
    ]);
    failNext(tooLong);
    const refused = await messagesFailure("vertex-flash");
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(refused.message).toContain("prompt is too long: 1200000 tokens > 1048576 maximum");
  });

  test("a key Gemini refuses (API_KEY_INVALID) is the gateway's: a 502 naming the provider, in both dialects", async () => {
    const error = await chatFailure("gemini-stale-key");
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.message).toContain("upstream gm-stale rejected the gateway's credentials");
    expect(error.message).not.toContain("API key not valid");
    const refused = await messagesFailure("gemini-stale-key");
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    const row = await rowOf(refused);
    expect(row).toMatchObject({ status: 502 });
  });

  test("Google's error wrapped in a JSON array (as streamGenerateContent sends it) is read as the object: a refused key the gateway's 502, RetryInfo's delay kept", async () => {
    failNext({
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "API key expired. Please renew the API key.",
      google: { reason: "API_KEY_EXPIRED", inArray: true },
    });
    const refused = await chatFailure("gemini-flash");
    expect(refused.status).toBe(502);
    expect(refused.message).toContain("upstream gm rejected the gateway's credentials");
    failNext({ ...QUOTA, google: { ...QUOTA.google, inArray: true } });
    const limited = await messagesFailure("vertex-flash");
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers?.get("retry-after")).toBe("13");
  });

  test.each([
    [403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied", 502],
    [401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", 502],
    // The route's model unknown upstream (Vertex AI's words name it): the route's configuration,
    // not the caller's request.
    [
      404,
      "NOT_FOUND",
      "Publisher Model `projects/p/locations/us-central1/publishers/google/models/gemini-9` was not found or your project does not have access to it.",
      502,
    ],
    // An overload: OpenAI's own 503 (server_is_overloaded).
    [503, "UNAVAILABLE", "The model is overloaded. Please try again later.", 503],
    [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", 504],
  ] as const)(
    "vertex %i %s reaches an OpenAI caller as %i in OpenAI's shape",
    async (status, type, message, expected) => {
      failNext({ status, type, message });
      // A 401 is sent once more with a fresh token: refused again, it is the gateway's 502.
      if (status === 401) failNext({ status, type, message });
      const error = await chatFailure("vertex-flash");
      expect(error.status).toBe(expected);
      expect(typeof error.error).toBe("object");
      const body = error.error as Record<string, unknown>;
      expect(typeof body.type).toBe("string");
      expect(typeof body.code).toBe("string");
      expect(body).not.toHaveProperty("status");
      expect(JSON.stringify(body)).not.toContain("gemini-9");
    },
  );

  test("Google's error object mid-stream ends the stream with an error in the caller's dialect", async () => {
    failNext({ ...QUOTA, midStream: true });
    const stream = await clouds.openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await openaiFailure(drained(stream));
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({ type: "rate_limit_error", message: QUOTA.message });
    failNext({ ...QUOTA, midStream: true });
    const broken = await anthropicFailure(
      clouds.anthropic.messages
        .stream({
          model: "vertex-flash",
          max_tokens: 100,
          messages: [{ role: "user", content: "stream please" }],
        })
        .finalMessage(),
    );
    expect(broken).toBeInstanceOf(Anthropic.APIError);
    expect(broken.error).toMatchObject({ error: { type: "rate_limit_error", message: QUOTA.message } });
  });
});
