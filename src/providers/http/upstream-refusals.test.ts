import { describe, expect, test } from "bun:test";
import { readAnthropicError } from "../../core/anthropic-errors.ts";
import { errorBody } from "../../core/error-wire.ts";
import { readOpenAIError } from "../../core/openai-errors.ts";
import { answer, openAI429, verdict, wording } from "./testing/upstream-answers.ts";
import { upstreamFailure } from "./upstream-failure.ts";

// A refusal of the gateway itself (its credit, its key, its account's limits) is the route's, never
// the caller's: failed over, worded for the caller without the gateway's account.

/** Each refusal of the gateway itself, as the vendor sends it, and where its words come from. */
const refusals = {
  // Anthropic, a 400 (anthropics/claude-code#66314).
  credit: answer(400, {
    type: "error",
    error: {
      type: "invalid_request_error",
      message:
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    },
  }),
  // Anthropic's spend limit, a 400 (anthropics/claude-code#2127).
  spendLimit: answer(400, {
    type: "error",
    error: {
      type: "invalid_request_error",
      message:
        "You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.",
    },
  }),
  billing: answer(402, {
    type: "error",
    error: {
      type: "billing_error",
      message: "Your organization's billing is not set up. Please add a payment method.",
    },
  }),
  // OpenAI, a 429 no wait ends (Pythagora-io/gpt-pilot#340).
  quota: answer(429, {
    error: {
      message:
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      type: "insufficient_quota",
      param: null,
      code: "insufficient_quota",
    },
  }),
};

describe("a refusal of the gateway itself is the route's, never the caller's", () => {
  test.each(Object.entries(refusals))(
    "the account refused (%s): a 502 in the gateway's words, failed over at once, counted by the breaker",
    (_, refused) => {
      const error = upstreamFailure("an", refused);
      expect(verdict(error)).toEqual([502, "upstream_account", true, false, true]);
      expect(error.message).toBe("upstream an refused the gateway's account (billing or quota)");
      // The upstream's words are the operator's to read (the log), not the caller's to act on.
      const said = readAnthropicError(JSON.parse(refused.text)) ?? readOpenAIError(JSON.parse(refused.text));
      expect(error.detail).toBe(said?.message);
      expect(wording(error)).not.toContain(said?.message?.slice(0, 30));
      expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "api_error" } });
      expect(error.headers).toEqual({});
      // The audit entry keeps the status the upstream answered with.
      expect(error.upstream?.status).toBe(refused.status);
    },
  );

  test("matched on the vendor's own words only: another 400 that speaks of credit is the caller's", () => {
    const asked = upstreamFailure(
      "an",
      answer(400, {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "metadata.note: the credit balance is too low is not a field",
        },
      }),
    );
    expect([asked.status, asked.code]).toEqual([400, "invalid_request"]);
  });

  test("credentials (401) and permissions (403) refused: worded by status, the upstream's reason kept for the log", () => {
    // OpenAI's region refusal (home-assistant/core#120072).
    const region = upstreamFailure(
      "oa",
      answer(403, {
        error: {
          code: "unsupported_country_region_territory",
          message: "Country, region, or territory not supported",
          param: null,
          type: "request_forbidden",
        },
      }),
    );
    expect([region.status, region.code, region.sameRouteAgain]).toEqual([502, "upstream_auth", false]);
    expect(region.message).toBe("upstream oa refused the gateway's request (forbidden)");
    expect(region.detail).toBe("Country, region, or territory not supported");
    expect(wording(region)).not.toContain("territory");
    const key = upstreamFailure(
      "oa",
      answer(401, {
        error: {
          message: "Incorrect API key provided: sk-proj-****WXYZ.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      }),
    );
    expect([key.code, key.message, key.upstream?.status]).toEqual([
      "upstream_auth",
      "upstream oa rejected the gateway's credentials",
      401,
    ]);
    expect(wording(key)).not.toContain("sk-proj");
  });

  test.each([
    [
      "OpenAI",
      {
        error: {
          message: "The model `gpt-4o` does not exist or you do not have access to it.",
          type: "invalid_request_error",
          param: null,
          code: "model_not_found",
        },
      },
    ],
    ["Anthropic", { type: "error", error: { type: "not_found_error", message: "model: claude-sonnet-4-5" } }],
    [
      "Azure",
      {
        error: {
          code: "DeploymentNotFound",
          message: "The API deployment for this resource does not exist.",
        },
      },
    ],
    [
      "vLLM",
      {
        error: {
          message: "The model `llama-3-70b` does not exist.",
          type: "NotFoundError",
          param: null,
          code: 404,
        },
      },
    ],
    ["Ollama", { error: 'model "llama9" not found, try pulling it first' }],
  ])(
    "a model call's 404 (%s) is the route's model unknown upstream: a 502 failed over and counted, the upstream's model never named",
    (_, body) => {
      const error = upstreamFailure("up", answer(404, body));
      expect(verdict(error)).toEqual([502, "upstream_error", true, false, true]);
      expect(error.message).toBe("upstream up answered 404: the route's model or URL is not found there");
      expect(wording(error)).not.toMatch(/gpt-4o|claude-sonnet|deployment for this|llama/);
      expect(error.upstream?.status).toBe(404);
    },
  );

  test.each([
    ["a proxy (no body)", undefined],
    ["a web server's page", "<html><body>404 Not Found</body></html>"],
    // The self-hosted servers, each answering a path it lacks in JSON: a chat-only vLLM asked for
    // embeddings, or any of them behind a base_url without its /v1.
    ["vLLM (FastAPI's own 404)", { detail: "Not Found" }],
    ["llama.cpp", { error: { message: "File Not Found", code: 404, type: "not_found_error" } }],
    ["LM Studio", { error: "Unexpected endpoint or method. (POST /chat/completions)" }],
  ])(
    "a 404 no API answered (%s) is no route for the call's path: a 502 failed over at once, counted by no breaker (the caller chose the operation)",
    (_, body) => {
      const error = upstreamFailure(
        "up",
        typeof body === "object"
          ? answer(404, body)
          : { status: 404, headers: new Headers(), text: body ?? "" },
      );
      expect(verdict(error)).toEqual([502, "upstream_error", true, false, false]);
      expect(error.message).toBe(
        "upstream up answered 404: no route for the call's path there (an operation it does not serve, or a wrong base_url)",
      );
      expect(error.upstream?.status).toBe(404);
    },
  );

  test.each([
    [
      // OpenAI (router-for-me/CLIProxyAPI#2381): a reasoning item of a turn stored under
      // another organization, or not at all (Codex, opencode and the Agents SDK send them back).
      "OpenAI's item not found",
      "openai",
      {
        error: {
          message:
            "Item with id 'rs_68af5d7ff2b081919b44f1b6b5c2fa2d0d6e0a5e6e1b0f7e' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.",
          type: "invalid_request_error",
          param: "input",
          code: null,
        },
      },
    ],
    [
      "Anthropic's file not found",
      "anthropic",
      {
        type: "error",
        error: { type: "not_found_error", message: "File not found: file_011CNha8iCJcU1wXNR6q4V8w" },
      },
    ],
  ] as const)(
    "any other 404 (%s) is the caller's: its 404 as the upstream said it, not retried, no breaker's",
    (_, dialect, body) => {
      const error = upstreamFailure("up", answer(404, body), dialect);
      expect([error.status, error.code, error.retryable]).toEqual([404, "not_found", false]);
      expect(error.upstream?.status).toBe(404);
      if (dialect === "openai" && "error" in body) expect(errorBody(error, "openai")).toEqual(body);
      if (dialect === "anthropic") expect(errorBody(error, "anthropic")).toEqual(body);
      expect(errorBody(error, dialect === "openai" ? "anthropic" : "openai")).toMatchObject({
        error: { message: readAnthropicError(body)?.message ?? readOpenAIError(body)?.message },
      });
      // Across dialects a plain not-found: never OpenAI's `model_not_found`, which names a model.
      if (dialect === "anthropic")
        expect(errorBody(error, "openai")).toMatchObject({
          error: { type: "invalid_request_error", code: "not_found" },
        });
      else expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "not_found_error" } });
    },
  );

  test("a request over the route's per-minute token limit on its own: a 429 not sent that route again, and not the breaker's", () => {
    // OpenAI (TheR1D/shell_gpt#653): no wait lets this request through at the account's tier.
    const tooLarge = {
      error: {
        message:
          "Request too large for gpt-4o in organization org-78asdf87asdf9aaa8976 on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "tokens",
        param: null,
        code: "rate_limit_exceeded",
      },
    };
    const error = upstreamFailure("oa", answer(429, tooLarge));
    expect(verdict(error)).toEqual([429, "rate_limited", true, false, false]);
    // As sent, but for the gateway's organization id (scrub-account.ts).
    const told = tooLarge.error.message.replace(
      "org-78asdf87asdf9aaa8976",
      "(the gateway's upstream account)",
    );
    expect(errorBody(error, "openai")).toEqual({ error: { ...tooLarge.error, message: told } });
    // An ordinary rate limit is the same route's again, after its wait.
    expect(upstreamFailure("oa", answer(429, openAI429)).sameRouteAgain).toBe(true);
  });
});
