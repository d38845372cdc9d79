import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";
import { OPENROUTER_DAY_RESET } from "./harness/error-fidelity-openrouter-vendors.ts";
import { vendorCalls } from "./harness/error-fidelity-vendors.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";

// A refusal of the gateway itself (its account's credit or quota, its route's model) is the
// route's, never the caller's (the gateway set-up: harness/error-fidelity-fixture.ts).

const fidelity = errorFidelityFixture();
const { chat, messages } = fidelity;

/**
 * What a chat call of `model` that must fail threw, sent by a client with the SDK's own retries on
 * (two): what the gateway answers must keep it from sending the call again.
 */
const retryingFailure = (model: string) => {
  const retrying = new OpenAI({ baseURL: `${fidelity.gw.url}/v1`, apiKey: fidelity.key, maxRetries: 2 });
  return openaiFailure(
    retrying.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }),
  );
};

describe("a refusal of the gateway itself (its account, its route's model) is the route's, never the caller's", () => {
  test("Anthropic's credit balance too low: the next route serves at once, the refused one asked once", async () => {
    vendorCalls.clear();
    const message = await fidelity.anthropic.messages.create({
      model: "credit-then-a",
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "echo: hi" })]);
    expect(vendorCalls.get("credit")).toBe(1);
  });

  test.each([
    ["insufficient_quota", "quota"],
    ["billing_not_active", "billing-inactive"],
    ["(Moonshot's) exceeded_current_quota_error", "kimi-quota"],
    // Judged by the provider's own type, as OpenRouter relays its body: its words are no account's.
    ["insufficient_quota relayed by OpenRouter (metadata.raw)", "openrouter-quota"],
    [
      "(Moonshot's) exceeded_current_quota_error relayed by OpenRouter (metadata.raw)",
      "openrouter-kimi-quota",
    ],
  ])(
    "OpenAI's %s on the only route: a 502 in the gateway's words, which the SDK does not retry; the audit keeps the 429",
    async (_, model) => {
      vendorCalls.clear();
      // The SDK's own retries on: `x-should-retry: false` keeps it from sending the call again.
      const error = await retryingFailure(model);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect([error.status, error.code, error.message]).toEqual([
        502,
        "upstream_account",
        "502 upstream oa-vendor refused the gateway's account (billing or quota)",
      ]);
      expect(error.headers?.get("x-should-retry")).toBe("false");
      expect(vendorCalls.get(model)).toBe(1);
      const row = await auditRow(fidelity.gw, error.requestID ?? "");
      expect([row.status, row.errorClass, row.attempts?.map((a) => [a.status, a.errorClass])]).toEqual([
        502,
        "upstream_account",
        [[429, "upstream_account"]],
      ]);
    },
  );

  test.each([
    ["403, out of credits or at its spending limit", "xai-credits", 403],
    ["429, out of credits or at its spending limit", "xai-credits-429", 429],
    ["403, a new team without credits", "xai-new-team", 403],
  ])(
    "xAI's %s, on the only route: the gateway's account refused (a 502 the SDK does not retry), not its credentials nor a rate limit",
    async (_, model, status) => {
      vendorCalls.clear();
      const error = await retryingFailure(model);
      expect([error.status, error.code, error.message]).toEqual([
        502,
        "upstream_account",
        "502 upstream oa-vendor refused the gateway's account (billing or quota)",
      ]);
      expect(error.headers?.get("x-should-retry")).toBe("false");
      expect(vendorCalls.get(model)).toBe(1);
      const row = await auditRow(fidelity.gw, error.requestID ?? "");
      expect(row.attempts?.map((a) => [a.status, a.errorClass])).toEqual([[status, "upstream_account"]]);
    },
  );

  test("the route's model unknown upstream (404): failed over; alone, a 502 that names no model the caller never sent", async () => {
    const served = await fidelity.openai.chat.completions.create({
      model: "gone-then-o",
      messages: [{ role: "user", content: "x" }],
    });
    expect(served.choices[0]?.message.content).toBeString();
    const error = (await chat("gone", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    expect(error.message).toBe(
      "502 upstream oa-vendor answered 404: the route's model or URL is not found there",
    );
  });

  test("Anthropic's unknown model relayed by OpenRouter (not_found_error `model: …` in metadata.raw) is the route's by its type: failed over at once; alone, a 502 that names no model the caller never sent", async () => {
    vendorCalls.clear();
    const served = await fidelity.openai.chat.completions.create({
      model: "openrouter-gone-then-o",
      messages: [{ role: "user", content: "x" }],
    });
    expect(served.choices[0]?.message.content).toBeString();
    expect(vendorCalls.get("openrouter-model-gone")).toBe(1);
    const error = (await chat("openrouter-gone", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    expect(error.message).toBe(
      "502 upstream oa-vendor answered 404: the route's model or URL is not found there",
    );
  });

  test("Anthropic's overload relayed by OpenRouter (overloaded_error in metadata.raw, OpenRouter's 502) is an overload by its type: Anthropic's 529 overloaded_error to an Anthropic caller (Claude Code's overloaded retries)", async () => {
    const toAnthropic = (await messages("openrouter-overloaded", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect([toAnthropic.status, toAnthropic.error]).toEqual([
      529,
      {
        type: "error",
        error: { type: "overloaded_error", message: "upstream oa-vendor answered 502: Overloaded" },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
    const row = await auditRow(fidelity.gw, toAnthropic.headers?.get("request-id") ?? "");
    expect(row.attempts?.map((a) => a.status)).toContain(502);
  });

  test("a 404 about the caller's own request (OpenAI's item not found) is the caller's, as sent: no failover", async () => {
    vendorCalls.clear();
    const error = (await chat("item-gone-then-o", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect([error.status, error.param, error.code]).toEqual([404, "input", null]);
    expect(error.message).toStartWith("404 Item with id 'rs_0a1b2c3d' not found.");
    expect(vendorCalls.get("item-gone")).toBe(1);
  });

  test("Anthropic's 404 about a file, to an OpenAI caller: a plain not-found in OpenAI's shape, not model_not_found; to an Anthropic caller as sent", async () => {
    const error = (await chat("file-gone", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect([error.status, error.code, error.type]).toEqual([404, "not_found", "invalid_request_error"]);
    expect(error.message).toBe("404 File not found: file_011CNha8iCJcU1wXNR6q4V8w");
    const same = (await messages("file-gone", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(same).toBeInstanceOf(Anthropic.NotFoundError);
    expect(same.error).toEqual({
      type: "error",
      error: { type: "not_found_error", message: "File not found: file_011CNha8iCJcU1wXNR6q4V8w" },
    });
  });

  test("a count_tokens the route's server answers 404 (no count endpoint): the gateway's estimate, not a 404", async () => {
    vendorCalls.clear();
    const counted = await fidelity.anthropic.messages.countTokens({
      model: "no-count",
      messages: [{ role: "user", content: "count these four words" }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(vendorCalls.get("no-count")).toBe(1);
  });

  test("OpenAI's daily limit, said only in x-ratelimit-reset-requests: one call, and the caller's 429 says when, and not to retry at once", async () => {
    vendorCalls.clear();
    // The SDK's own retries on: it ignores a wait over 60 s and would retry twice at once, each
    // refused; `x-should-retry: false` keeps it from it, and Retry-After says when.
    const error = await retryingFailure("daily");
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      ["retry-after", "retry-after-ms", "x-should-retry"].map((name) => error.headers?.get(name)),
    ).toEqual(["360", "360000", "false"]);
    expect(vendorCalls.get("daily")).toBe(1);
  });

  test("Gemini's day's quota (QuotaFailure's quotaId …PerDay…), RetryInfo saying 47 s: the caller's 429 says Google's wait and not to retry at once, in both dialects, each asking Google once", async () => {
    vendorCalls.clear();
    const openaiError = (await chat("gm-daily", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(["retry-after", "x-should-retry"].map((name) => openaiError.headers?.get(name))).toEqual([
      "47",
      "false",
    ]);
    expect((openaiError.error as { message: string }).message).toContain("limit: 50");
    const anthropicError = (await messages("gm-daily", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError.headers?.get("x-should-retry")).toBe("false");
    expect(vendorCalls.get("gemini-daily")).toBe(2);
  });

  test.each([["OpenAI's", "daily-words"]])(
    "%s daily limit said in its words alone (no wait in any header): one call, and the caller's 429 says not to retry at once",
    async (_, model) => {
      vendorCalls.clear();
      // Judged by its words: a throttle would be the SDK's to retry (twice here, each refused).
      const error = await retryingFailure(model);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(["retry-after", "x-should-retry"].map((name) => error.headers?.get(name))).toEqual([
        "1",
        "false",
      ]);
      expect(vendorCalls.get(model)).toBe(1);
    },
  );

  test("OpenRouter's free models' day spent, its reset only in the body's metadata.headers: one call, and the caller's 429 says when the day resets, and not to retry at once, in both dialects", async () => {
    vendorCalls.clear();
    const before = Date.now();
    const error = await retryingFailure("openrouter-daily");
    const after = Date.now();
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers?.get("x-should-retry")).toBe("false");
    // The seconds to the reset from when the gateway read the answer: between the call's ends.
    const told = Number(error.headers?.get("retry-after"));
    expect(told).toBeGreaterThanOrEqual(Math.floor((OPENROUTER_DAY_RESET - after) / 1000));
    expect(told).toBeLessThanOrEqual(Math.ceil((OPENROUTER_DAY_RESET - before) / 1000));
    expect(vendorCalls.get("openrouter-daily")).toBe(1);
    const anthropicError = (await messages("openrouter-daily", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError.headers?.get("x-should-retry")).toBe("false");
    expect(Number(anthropicError.headers?.get("retry-after"))).toBeGreaterThan(3600);
  });

  test.each([
    ["inside a 200 (OpenRouter's error once a model has begun)", "openrouter-daily-in-200", false],
    ["as a stream's first chunk (OpenRouter's mid-stream error)", "openrouter-daily-in-stream", true],
  ])(
    "OpenRouter's free models' day spent %s: the caller's 429 says when the day resets, before the stream's head",
    async (_, model, stream) => {
      vendorCalls.clear();
      const before = Date.now();
      const error = await openaiFailure(
        fidelity.openai.chat.completions.create({
          model,
          stream,
          messages: [{ role: "user", content: "x" }],
        }),
      );
      const after = Date.now();
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.headers?.get("x-should-retry")).toBe("false");
      const told = Number(error.headers?.get("retry-after"));
      expect(told).toBeGreaterThanOrEqual(Math.floor((OPENROUTER_DAY_RESET - after) / 1000));
      expect(told).toBeLessThanOrEqual(Math.ceil((OPENROUTER_DAY_RESET - before) / 1000));
      expect(vendorCalls.get(model)).toBe(1);
      const anthropicError = await anthropicFailure(
        fidelity.anthropic.messages.create({
          model,
          stream,
          max_tokens: 16,
          messages: [{ role: "user", content: "x" }],
        }),
      );
      expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
      expect(Number(anthropicError.headers?.get("retry-after"))).toBeGreaterThan(3600);
    },
  );
});
