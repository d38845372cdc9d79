import { describe, expect, test } from "bun:test";
import {
  anthropicErrorToOpenAI,
  openAIErrorToAnthropic,
  statusForAnthropicErrorType,
} from "./error-mapping.ts";

describe("error translation", () => {
  test.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [413, "request_too_large"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [503, "overloaded_error"],
  ])("OpenAI %i → Anthropic %s", (status, type) => {
    const body = { error: { message: "nope", type: "x", param: null, code: null } };
    expect(openAIErrorToAnthropic(status, body)).toEqual({
      status,
      body: { type: "error", error: { type, message: "nope" } },
    });
  });

  test("Anthropic errors → OpenAI shape; 529 becomes 503", () => {
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    expect(anthropicErrorToOpenAI(529, overloaded)).toEqual({
      status: 503,
      body: { error: { message: "Overloaded", type: "server_error", param: null, code: "overloaded" } },
    });
    const auth = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } };
    expect(anthropicErrorToOpenAI(401, auth).body).toEqual({
      error: {
        message: "invalid x-api-key",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
    expect(anthropicErrorToOpenAI(429, "garbage").body).toMatchObject({
      error: { type: "requests", code: "rate_limit_exceeded", message: "upstream error (status 429)" },
    });
  });

  test("status for a stream error type", () => {
    expect(statusForAnthropicErrorType("rate_limit_error")).toBe(429);
    expect(statusForAnthropicErrorType("mystery")).toBe(500);
  });
});
