import { describe, expect, test } from "bun:test";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { statusFailure, upstreamFailure } from "../providers/http/upstream-failure.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor, twoRoutes } from "./router-test-kit.ts";

// What an upstream's refusal says of its route: the gateway's credentials or account, the caller's
// own request, a per-minute or daily limit.

describe("router: what an upstream's refusal says of its route", () => {
  const credentialsRefused = (provider: string) => () =>
    Promise.reject(statusFailure(provider, 401, "invalid token"));

  test("credentials refused: the next route serves at once (no retry of the refused one), and the breaker counts it", async () => {
    const a = fakeProvider("a", credentialsRefused("a"));
    const b = fakeProvider("b");
    const { router, logs } = routerFor(
      twoRoutes({ retries: 2, circuit_breaker: { failures: 2, cooldown: "1m" } }),
      [a, b],
    );
    for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    // Two refusals opened a's breaker: the third request went to b alone.
    expect(a.calls).toHaveLength(2);
    expect(b.calls).toHaveLength(3);
    expect(logs[0]?.fields.reason).toBe("upstream a rejected the gateway's credentials");
  });

  test("credentials refused on every route: the gateway's own 502, in its words, which no client retry mends", async () => {
    const a = fakeProvider("a", credentialsRefused("a"));
    const b = fakeProvider("b", credentialsRefused("b"));
    const { router, logs } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_auth",
      "upstream b rejected the gateway's credentials",
    ]);
    expect(error.headers["x-should-retry"]).toBe("false");
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
    // The upstream's own reason, which the caller is not told, is the operator's.
    expect(logs.map((line) => line.fields.detail)).toEqual(["invalid token", "invalid token"]);
  });

  const refusedWith =
    (status: number, body: object, headers: Record<string, string> = {}) =>
    () =>
      Promise.reject(
        upstreamFailure("a", { status, headers: new Headers(headers), text: JSON.stringify(body) }),
      );
  const anthropicError = (type: string, message: string) => ({ type: "error", error: { type, message } });
  const openAIError = (message: string, type: string, code: string) => ({
    error: { message, type, param: null, code },
  });
  const CREDIT =
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.";
  const QUOTA = "You exceeded your current quota, please check your plan and billing details.";

  test.each([
    ["Anthropic's credit balance (400)", 400, anthropicError("invalid_request_error", CREDIT), CREDIT],
    [
      "Anthropic's billing_error (402)",
      402,
      anthropicError("billing_error", "billing is not set up"),
      "billing is not set up",
    ],
    [
      "OpenAI's insufficient_quota (429)",
      429,
      openAIError(QUOTA, "insufficient_quota", "insufficient_quota"),
      QUOTA,
    ],
    [
      "the route's model unknown (404)",
      404,
      openAIError("The model `ma` does not exist", "invalid_request_error", "model_not_found"),
      "The model `ma` does not exist",
    ],
    [
      "permissions refused (403)",
      403,
      openAIError(
        "Country, region, or territory not supported",
        "request_forbidden",
        "unsupported_country_region_territory",
      ),
      "Country, region, or territory not supported",
    ],
  ])(
    "%s: the next route serves at once, the refused one never retried, and its breaker counts it",
    async (_, status, body, said) => {
      const a = fakeProvider("a", refusedWith(status, body));
      const b = fakeProvider("b");
      const { router, logs } = routerFor(
        twoRoutes({ retries: 2, circuit_breaker: { failures: 2, cooldown: "1m" } }),
        [a, b],
      );
      for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
      // One call a request, and two refusals opened a's breaker: the third request went to b alone.
      expect([a.calls.length, b.calls.length]).toEqual([2, 3]);
      expect(logs[0]?.fields.detail).toBe(said);
      expect(logs[0]?.fields.reason).not.toContain(said);
    },
  );

  test("a 429 naming the gateway's OpenAI organization: the route failed line's reason is as the caller would be told it, the org id in its detail alone", async () => {
    const said =
      "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM).";
    const a = fakeProvider("a", refusedWith(429, openAIError(said, "tokens", "rate_limit_exceeded")));
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(logs.map((line) => [line.message, line.fields.reason, line.fields.detail])).toEqual([
      [
        "route failed",
        "Rate limit reached for gpt-4o in organization (the gateway's upstream account) on tokens per min (TPM).",
        said,
      ],
    ]);
  });

  test("a 404 about the caller's own request (OpenAI's item not found) is the caller's: no failover, no breaker", async () => {
    const itemGone = {
      error: {
        message:
          "Item with id 'rs_0a1b2c' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.",
        type: "invalid_request_error",
        param: "input",
        code: null,
      },
    };
    const a = fakeProvider("a", refusedWith(404, itemGone));
    const b = fakeProvider("b");
    const { router } = routerFor(
      twoRoutes({ retries: 2, circuit_breaker: { failures: 2, cooldown: "1m" } }),
      [a, b],
    );
    for (let i = 0; i < 3; i++) {
      const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.code, error.param]).toEqual([404, "not_found", "input"]);
    }
    // Every caller's own 404 went to the route, which stays in: not failed over, not counted.
    expect([a.calls.length, b.calls.length]).toEqual([3, 0]);
  });

  test("a request too large for the route's per-minute limit: the next route at once, and no breaker counts it", async () => {
    const tooLarge = openAIError(
      "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 50000.",
      "tokens",
      "rate_limit_exceeded",
    );
    const a = fakeProvider("a", refusedWith(429, tooLarge));
    const b = fakeProvider("b");
    const { router } = routerFor(
      twoRoutes({ retries: 2, circuit_breaker: { failures: 2, cooldown: "1m" } }),
      [a, b],
    );
    for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect([a.calls.length, b.calls.length]).toEqual([3, 3]);
    // With no route left that could take it, the caller's SDK is told not to send it again.
    const only = fakeProvider("a", refusedWith(429, tooLarge));
    const single = routerFor(
      { ...twoRoutes({ retries: 2 }), models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }] },
      [only],
    );
    const error = (await single.router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.headers["x-should-retry"], error.headers["retry-after"]]).toEqual([
      429,
      "false",
      "1",
    ]);
    expect(only.calls).toHaveLength(1);
  });

  test("a day's quota spent, no short wait said: the next route at once, and the spent route's breaker counts it, as a spent account's", async () => {
    const spent = openAIError(
      "Rate limit reached for gpt-4o in organization org-x on requests per day (RPD): Limit 10000, Used 10000, Requested 1.",
      "requests",
      "rate_limit_exceeded",
    );
    const a = fakeProvider("a", refusedWith(429, spent));
    const b = fakeProvider("b");
    const { router } = routerFor(
      twoRoutes({ retries: 2, circuit_breaker: { failures: 2, cooldown: "1m" } }),
      [a, b],
    );
    for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    // One call a request, and two refusals opened a's breaker: the third request went to b alone.
    expect([a.calls.length, b.calls.length]).toEqual([2, 3]);
  });

  test("a day's limit that says a short wait (Groq's rolling RPD, 'Please try again in 6s'): a rate limit like any, its wait told and the SDKs left to take it", async () => {
    const groq = (wait: Record<string, string>) =>
      refusedWith(
        429,
        openAIError(
          "Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01abc` service tier `on_demand` on requests per day (RPD): Limit 14400, Used 14400, Requested 1. Please try again in 6s.",
          "requests",
          "rate_limit_exceeded",
        ),
        wait,
      );
    const only = {
      ...twoRoutes({ retries: 1, backoff: "100ms" }),
      models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
    };
    const a = fakeProvider("a", groq({ "retry-after": "6" }));
    const error = (await routerFor(only, [a])
      .router(chatRequest("m"))
      .catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.headers["retry-after"], error.headers["x-should-retry"]]).toEqual([
      429,
      "6",
      undefined,
    ]);
    // A wait within the backoff: the route again, which serves.
    const b = fakeProvider("a", (_call, n) =>
      n === 0 ? groq({ "retry-after-ms": "20" })() : Promise.resolve(jsonReply()),
    );
    expect((await routerFor(only, [b]).router(chatRequest("m"))).attempts).toBe(2);
  });

  test("a refusal on one route and a server fault on the other: the last failure, which a later try may mend", async () => {
    const a = fakeProvider("a", refusedWith(402, anthropicError("billing_error", "no payment method")));
    const b = fakeProvider("b", () => Promise.reject(upstreamError("answered 503")));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.headers["x-should-retry"]]).toEqual([
      502,
      "upstream_error",
      undefined,
    ]);
  });
});
