import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { errorResponse } from "./error-body.ts";

/** An Anthropic upstream's 429 as the provider reads it, its body's text as sent. */
const anthropic429 = (message: string, requestId?: string) => {
  const body = {
    type: "error",
    error: { type: "rate_limit_error", message },
    ...(requestId ? { request_id: requestId } : {}),
  };
  // Spaced as no serializer of ours would write it: a relayed body is the upstream's bytes.
  const text = JSON.stringify(body, null, 1);
  return new GatewayError({
    status: 429,
    code: "rate_limited",
    message,
    headers: { "retry-after": "7" },
    upstream: { dialect: "anthropic", status: 429, type: "rate_limit_error", body, text },
  });
};

describe("errorResponse: an upstream's error body to a caller of its dialect", () => {
  test("the bytes as sent when they say nothing of the gateway's upstream account", async () => {
    const error = anthropic429("Number of request tokens has exceeded your per-minute rate limit");
    const response = errorResponse(error, "anthropic", {});
    expect([response.status, response.headers.get("retry-after")]).toEqual([429, "7"]);
    expect(await response.text()).toBe(error.upstream?.text ?? "");
  });

  test("rewritten when they do: the organization scrubbed, the upstream's request_id the gateway's; status and headers kept", async () => {
    const error = anthropic429(
      "This request would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be) of 40,000 input tokens per minute.",
      "req_011CbrFTcXhtiMzr3s6EocF7",
    );
    const response = errorResponse(error, "anthropic", { "request-id": "gw-1" });
    expect([
      response.status,
      response.headers.get("retry-after"),
      response.headers.get("request-id"),
    ]).toEqual([429, "7", "gw-1"]);
    expect(await response.json()).toEqual({
      type: "error",
      error: {
        type: "rate_limit_error",
        message:
          "This request would exceed the rate limit for your organization (the gateway's upstream account) of 40,000 input tokens per minute.",
      },
      request_id: "gw-1",
    });
  });
});
