import { describe, expect, test } from "bun:test";
import { toldMessage } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { fallbackClassOf } from "../../routing/fallback-on.ts";
import { anthropicTooLong, openAITooLong, wording } from "./testing/upstream-answers.ts";
import { errorInAnswer, statusFailure } from "./upstream-failure.ts";

// A 200 answer whose body is an error, as some OpenAI-compatible servers and proxies send one.

/** Status, code, whether retried, whether the route's breaker counts it. */
const verdict = (error: GatewayError | undefined) => [
  error?.status,
  error?.code,
  error?.retryable,
  error?.countsAgainstRoute,
];

describe("a 200 answer whose body is an error (some OpenAI-compatible servers and proxies)", () => {
  const ORG = "org-uOtiSEwvUnroadaOnJJquBEC";
  const REQUEST = "req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c";
  const said = (account: string, request: string) =>
    `Rate limit reached for gpt-4o in organization ${account} on tokens per min (TPM). (Please include the request ID ${request} in your message.)`;

  test("its words, the upstream's own, reach the caller and the audit row without the gateway's upstream account; the log's detail keeps them, saying how they came", () => {
    const told = said("(the gateway's upstream account)", "(the upstream's request id)");
    for (const [body, status, code] of [
      [
        { error: { message: said(ORG, REQUEST), type: "tokens", param: null, code: "rate_limit_exceeded" } },
        429,
        "rate_limited",
      ],
      [
        { type: "error", error: { type: "rate_limit_error", message: said(ORG, REQUEST) } },
        429,
        "rate_limited",
      ],
      // Words alone, neither code nor type: the upstream's failure.
      [{ error: said(ORG, REQUEST) }, 502, "upstream_error"],
    ] as const) {
      const error = errorInAnswer("proxy", body);
      expect([error?.status, error?.code, error?.message]).toEqual([status, code, told]);
      // Both dialects' bodies.
      expect(error && wording(error)).not.toMatch(/org-uOti|req_5a7c/);
      expect(error && toldMessage(error, "openai")).toBe(told);
      expect(error && toldMessage(error, "anthropic")).toBe(told);
      expect(error?.detail).toBe(`upstream proxy answered 200 with an error: ${said(ORG, REQUEST)}`);
    }
  });

  test("a Responses response that failed is a failure, as its stream's response.failed is; one cut short is an answer", () => {
    const response = (status: string, extra: object = {}) => ({
      id: "resp_1",
      object: "response",
      status,
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "partial" }] }],
      ...extra,
    });
    const failed = errorInAnswer(
      "oa",
      response("failed", { error: { code: "server_error", message: `overloaded for ${ORG}` } }),
    );
    expect([failed?.status, failed?.code, failed?.retryable, failed?.message]).toEqual([
      502,
      "upstream_error",
      true,
      "overloaded for (the gateway's upstream account)",
    ]);
    expect(failed?.detail).toBe(`upstream oa answered 200 with a failed response: overloaded for ${ORG}`);
    // Without the upstream's words, its own.
    expect(errorInAnswer("oa", response("failed", { error: null }))?.message).toBe(
      "upstream oa answered 200 with a failed response",
    );
    // Cut at max_output_tokens, or whole: an answer.
    expect(
      errorInAnswer("oa", response("incomplete", { incomplete_details: { reason: "max_output_tokens" } })),
    ).toBeUndefined();
    expect(errorInAnswer("oa", response("completed", { error: null }))).toBeUndefined();
  });

  test("judged by its code or type as the stream's error is (core/openai-errors.ts statusForOpenAIError): a prompt too long or refused is the caller's 400, neither retried nor the route's; a server error the route's retryable 502", () => {
    const TOO_LONG =
      "Your input exceeds the context window of this model. Please adjust your input and try again.";
    const failedWith = (code: string, message: string) => ({
      id: "resp_1",
      object: "response",
      status: "failed",
      output: [],
      error: { code, message },
    });
    const tooLong = errorInAnswer("oa", failedWith("context_length_exceeded", TOO_LONG));
    expect(verdict(tooLong)).toEqual([400, "context_length_exceeded", false, true]);
    expect([tooLong?.param, tooLong?.message]).toEqual(["messages", TOO_LONG]);
    expect(tooLong && fallbackClassOf(tooLong)).toBe("context_length");
    // A proxy answering 200 with OpenAI's error body alike.
    const proxied = errorInAnswer("proxy", openAITooLong);
    expect(verdict(proxied)).toEqual([400, "context_length_exceeded", false, true]);
    expect(verdict(errorInAnswer("oa", failedWith("server_error", "The model failed.")))).toEqual([
      502,
      "upstream_error",
      true,
      true,
    ]);
    const refused = errorInAnswer("proxy", {
      error: {
        message: "Bad value for temperature.",
        type: "invalid_request_error",
        param: "temperature",
        code: null,
      },
    });
    expect(verdict(refused)).toEqual([400, "invalid_request", false, true]);
    expect(refused?.param).toBe("temperature");
    expect(verdict(errorInAnswer("a", anthropicTooLong))).toEqual([
      400,
      "context_length_exceeded",
      false,
      true,
    ]);
  });

  test("a refusal of the gateway's account in a 200 is the route's, said in the gateway's words as its 429 is; the upstream's in the log", () => {
    const quota = "You exceeded your current quota, please check your plan and billing details.";
    const error = errorInAnswer("proxy", {
      error: { message: quota, type: "insufficient_quota", param: null, code: "insufficient_quota" },
    });
    expect([error?.status, error?.code, error?.retryable, error?.sameRouteAgain]).toEqual([
      502,
      "upstream_account",
      true,
      false,
    ]);
    expect(error?.message).toBe(
      statusFailure("proxy", 429, quota, {
        detail: { dialect: "openai", status: 429, code: "insufficient_quota" },
      }).message,
    );
    expect(error?.detail).toBe(`upstream proxy answered 200 with an error: ${quota}`);
  });

  test("only the upstream's own words are read so: the gateway's, a route's name among them, are as they are", () => {
    const error = errorInAnswer("req_route0001", { error: { message: "model overloaded" } });
    expect(error?.message).toBe("model overloaded");
    expect(error?.detail).toBe("upstream req_route0001 answered 200 with an error: model overloaded");
    // A real answer is none.
    expect(errorInAnswer("proxy", { choices: [], error: null })).toBeUndefined();
  });
});
