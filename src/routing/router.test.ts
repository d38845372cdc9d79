import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { RequestAbort } from "../http/request-abort.ts";
import { statusFailure, upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { ProviderCall, ProviderReply } from "../providers/provider.ts";
import { waitFor } from "../testing/wait-for.ts";
import {
  chatRequest,
  drain,
  eventsOf,
  fakeProvider,
  jsonReply,
  never,
  routerFor,
  type Script,
  streamReply,
  twoRoutes,
} from "./router-test-kit.ts";

const providers = (...names: string[]) => names.map((name) => ({ name, type: "openai" }));
const failing =
  (status = 503) =>
  () =>
    Promise.reject(upstreamError(`answered ${status}`));

describe("router: retries and failover", () => {
  test("a retryable failure is retried `retries` times, then the next route serves", async () => {
    const a = fakeProvider("a", failing());
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(a.calls).toHaveLength(3);
    expect(b.calls).toHaveLength(1);
    expect(dispatched.attempts).toBe(4);
    expect(dispatched.route).toBe("provider:b");
    expect(dispatched.upstreamModel).toBe("mb");
    expect(b.calls[0]?.body.model).toBe("mb");
    expect(logs).toHaveLength(3);
  });

  test("a retry that succeeds stays on the same route", async () => {
    const a = fakeProvider("a", (_call, n) => (n === 0 ? failing()() : Promise.resolve(jsonReply())));
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 1 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:a");
    expect(dispatched.attempts).toBe(2);
    expect(b.calls).toHaveLength(0);
  });

  test("with retries 0 each route is tried once; the last error reaches the caller", async () => {
    const a = fakeProvider("a", failing());
    const b = fakeProvider("b", () => Promise.reject(upstreamError("b is down")));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = await router(chatRequest("m")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toBe("b is down");
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
  });

  test("a non-retryable failure is neither retried nor failed over", async () => {
    const a = fakeProvider("a", () =>
      Promise.reject(new GatewayError({ status: 400, code: "invalid_request", message: "bad" })),
    );
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 3 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(400);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("an unknown model is a 404 model_not_found", async () => {
    const { router } = routerFor(twoRoutes(), [fakeProvider("a"), fakeProvider("b")]);
    const error = (await router(chatRequest("nope")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
  });

  test("a stream that fails before its first event fails over", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(5, 0)));
    const b = fakeProvider("b", () => Promise.resolve(streamReply(3)));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    expect(dispatched.route).toBe("provider:b");
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    expect(await drain(dispatched.reply.chunks)).toEqual([
      '{"choices":[{"index":0,"delta":{"content":"c0"}}]}',
      '{"choices":[{"index":0,"delta":{"content":"c1"}}]}',
      '{"choices":[{"index":0,"delta":{"content":"c2"}}]}',
      "[DONE]",
    ]);
  });

  test("after the first event the answer is committed: a later failure is thrown, never failed over", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(5, 2)));
    const b = fakeProvider("b", () => Promise.resolve(streamReply(3)));
    const { router } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of dispatched.reply.kind === "stream" ? eventsOf(dispatched.reply.chunks) : [])
        seen.push(event.data);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect((error as GatewayError).code).toBe("upstream_error");
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("backoff waits between retries and is cut short when the client leaves", async () => {
    const a = fakeProvider("a", failing());
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    // The first attempt fails, then the router sleeps (10 minutes) before the retry.
    await waitFor("the first attempt", () => a.calls.length > 0);
    controller.abort();
    const error = (await pending) as GatewayError;
    expect(error.code).toBe("client_closed");
    expect(a.calls).toHaveLength(1);
  });

  test("a provider's copy of its call (a spread, as a body-rewriting provider makes) keeps a signal that aborts with the attempt", async () => {
    const copies: ProviderCall[] = [];
    const a = fakeProvider("a", (call) => {
      const copy = { ...call, body: { rewritten: true } };
      copies.push(copy);
      return new Promise((_, reject) =>
        copy.signal.addEventListener("abort", () => reject(copy.signal.reason)),
      );
    });
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes(), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    await waitFor("the upstream call", () => copies.length > 0);
    expect(copies[0]?.signal).toBe(a.calls[0]?.signal as AbortSignal);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(copies[0]?.signal.aborted).toBe(true);
  });

  test("a client that leaves during a backoff gets no further upstream call", async () => {
    const a = fakeProvider("a", failing());
    const controller = new AbortController();
    const { router, logs } = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    // The first attempt's failure is logged, and the router is asleep before the retry.
    await waitFor("the first failure", () => logs.length > 0);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(a.calls).toHaveLength(1);
  });

  test("the front door's request abort (no signal of its own) ends a backoff and the attempt under way", async () => {
    const revoked = new GatewayError({ status: 401, code: "unauthorized", message: "key revoked" });
    const a = fakeProvider("a", (call, n) => (n === 0 ? failing()() : never(call)));
    const client = new AbortController();
    const abort = new RequestAbort(client.signal);
    const { router } = routerFor(twoRoutes({ retries: 3, backoff: "1ms" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: abort })).catch((e: unknown) => e);
    // The retry is under way (after the backoff): the abort reaches its upstream call directly.
    await waitFor("the retry", () => a.calls.length > 1);
    abort.abort(revoked);
    expect(await pending).toBe(revoked);
    expect(a.calls[1]?.signal.aborted).toBe(true);

    const sleeping = new RequestAbort(new AbortController().signal);
    const b = fakeProvider("a", failing());
    const slow = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [b, fakeProvider("b")]);
    const cut = slow.router(chatRequest("m", { signal: sleeping })).catch((e: unknown) => e);
    await waitFor("the first attempt", () => b.calls.length > 0);
    sleeping.abort(revoked);
    expect(await cut).toBe(revoked);
    expect(b.calls).toHaveLength(1);
    abort.release();
    sleeping.release();
  });
});

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
    const b = fakeProvider("b", failing(503));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.headers["x-should-retry"]]).toEqual([
      502,
      "upstream_error",
      undefined,
    ]);
  });

  const throttled = (headers: Record<string, string>) => () =>
    Promise.reject(
      upstreamFailure("a", {
        status: 429,
        headers: new Headers(headers),
        text: JSON.stringify({ error: { message: "Rate limit is exceeded.", code: "429" } }),
      }),
    );

  test("a 429 whose Retry-After is longer than the backoff goes to the next route, not the same one again", async () => {
    const a = fakeProvider("a", throttled({ "retry-after": "7", "retry-after-ms": "6500" }));
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 2, backoff: "100ms" }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
  });

  test("with no route left the caller gets the 429 and its Retry-After, the route not asked again", async () => {
    const a = fakeProvider("a", throttled({ "retry-after": "17" }));
    const { router } = routerFor(
      {
        ...twoRoutes({ retries: 2, backoff: "100ms" }),
        models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
      },
      [a],
    );
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.headers["retry-after"]]).toEqual([429, "17"]);
    expect(a.calls).toHaveLength(1);
  });

  test("a 429 that says when only in its rate-limit headers (OpenAI's daily limit): not sent again, and the caller told the reset, and that the SDKs should not retry", async () => {
    const daily = {
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "6m0s",
      "x-ratelimit-reset-tokens": "0s",
    };
    const a = fakeProvider("a", throttled(daily));
    const { router } = routerFor(
      {
        ...twoRoutes({ retries: 2, backoff: "100ms" }),
        models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
      },
      [a],
    );
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([
      error.status,
      error.headers["retry-after"],
      error.headers["retry-after-ms"],
      error.headers["x-should-retry"],
    ]).toEqual([429, "360", "360000", "false"]);
    expect(a.calls).toHaveLength(1);
  });

  test("OpenAI's tokens-per-minute 429 (tokens left, fewer than asked): the tokens' reset, not the requests' 120ms; not sent again", async () => {
    const tpm = {
      "x-ratelimit-remaining-requests": "499",
      "x-ratelimit-reset-requests": "120ms",
      "x-ratelimit-remaining-tokens": "1200",
      "x-ratelimit-reset-tokens": "57.6s",
    };
    const a = fakeProvider("a", throttled(tpm));
    const { router } = routerFor(
      {
        ...twoRoutes({ retries: 2, backoff: "100ms" }),
        models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
      },
      [a],
    );
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.headers["retry-after"], error.headers["retry-after-ms"]]).toEqual([
      429,
      "58",
      "57600",
    ]);
    expect(a.calls).toHaveLength(1);
  });

  test("after a failover the caller's 429 says the soonest any route said, and a 429 always says one", async () => {
    const b429 = (headers: Record<string, string>) =>
      fakeProvider("b", () =>
        Promise.reject(
          upstreamFailure("b", {
            status: 429,
            headers: new Headers(headers),
            text: JSON.stringify({ error: { message: "slow" } }),
          }),
        ),
      );
    const soonest = async (first: Record<string, string>, last: Record<string, string>) => {
      const { router } = routerFor(twoRoutes({ retries: 0 }), [
        fakeProvider("a", throttled(first)),
        b429(last),
      ]);
      const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      expect(error.status).toBe(429);
      return [error.headers["retry-after"], error.headers["retry-after-ms"], error.headers["x-should-retry"]];
    };
    // The first route said 30 s and the last nothing: 30 s, not a bare 429.
    expect(await soonest({ "retry-after": "30" }, {})).toEqual(["30", "30000", undefined]);
    // The last route's own is sooner: kept as it said it.
    expect(await soonest({ "retry-after": "30" }, { "retry-after-ms": "644", "retry-after": "1" })).toEqual([
      "1",
      "644",
      undefined,
    ]);
    // The first route's is sooner: the caller gets that one.
    expect(await soonest({ "retry-after": "2" }, { "retry-after": "40" })).toEqual(["2", "2000", undefined]);
    // No route said: a default.
    expect(await soonest({}, {})).toEqual(["1", undefined, undefined]);
  });

  test("a wait told longer than the SDKs wait as told (60 s) says x-should-retry: false; 60 s itself does not", async () => {
    const told = async (headers: Record<string, string>, status = 429) => {
      const a = fakeProvider("a", () =>
        Promise.reject(upstreamFailure("a", { status, headers: new Headers(headers), text: "" })),
      );
      const { router } = routerFor(
        {
          ...twoRoutes({ retries: 0 }),
          models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
        },
        [a],
      );
      const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      return [error.headers["retry-after"], error.headers["x-should-retry"]];
    };
    expect(await told({ "retry-after": "61" })).toEqual(["61", "false"]);
    expect(await told({ "retry-after-ms": "60001", "retry-after": "61", "x-should-retry": "true" })).toEqual([
      "61",
      "false",
    ]);
    expect(await told({ "retry-after": "60" })).toEqual(["60", undefined]);
    // A server fault's own, too.
    expect(await told({ "retry-after": "120" }, 503)).toEqual(["120", "false"]);
    expect(await told({ "retry-after": "5" }, 503)).toEqual(["5", undefined]);
  });

  test("a Retry-After within the backoff leaves the retry on the same route", async () => {
    const a = fakeProvider("a", (_call, n) =>
      n === 0 ? throttled({ "retry-after-ms": "5" })() : Promise.resolve(jsonReply()),
    );
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 1, backoff: "20ms" }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect([a.calls.length, b.calls.length]).toEqual([2, 0]);
  });

  test("a retry on the same route waits at least the upstream's Retry-After, whatever the backoff's jitter", async () => {
    const sentAt: number[] = [];
    const a = fakeProvider("a", (_call, n) => {
      sentAt.push(performance.now());
      return n === 0 ? throttled({ "retry-after-ms": "150" })() : Promise.resolve(jsonReply());
    });
    const b = fakeProvider("b");
    // The jitter at its shortest: half of the 200 ms backoff, sooner than the 150 ms the upstream said.
    const { router } = routerFor(twoRoutes({ retries: 1, backoff: "200ms" }), [a, b], { random: () => 0 });
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect([a.calls.length, b.calls.length]).toEqual([2, 0]);
    const [first = 0, second = 0] = sentAt;
    expect(second - first).toBeGreaterThanOrEqual(150);
  });
});

describe("router: timeouts and cancellation", () => {
  const slow = (timeouts: object) => ({
    providers: providers("a"),
    models: [{ name: "m", routes: [{ provider: "a", model: "ma", timeouts }] }],
    routing: { retries: 0 },
  });

  test("an upstream that never answers ends in a 504 and its call is aborted", async () => {
    const a = fakeProvider("a", never);
    const { router } = routerFor(slow({ first_byte: "5ms" }), [a]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(504);
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("first byte");
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });

  test("a stream waits for headers under the connect bound", async () => {
    const a = fakeProvider("a", never);
    const { router } = routerFor(slow({ connect: "5ms" }), [a]);
    const error = (await router(chatRequest("m", { stream: true })).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(504);
    expect(error.message).toContain("response headers");
  });

  test("silence between stream events past the idle bound is a 504 inside the stream", async () => {
    async function* stalls() {
      yield { data: "{}" };
      await new Promise(() => {});
    }
    const a = fakeProvider("a", () => Promise.resolve({ kind: "stream", events: stalls() }));
    const { router } = routerFor(slow({ idle: "5ms" }), [a]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const error = (await drain(dispatched.reply.chunks).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("the next chunk");
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });

  test("a client that leaves while waiting aborts the upstream call (499, not retried)", async () => {
    const a = fakeProvider("a", never);
    const b = fakeProvider("b");
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    await waitFor("the first attempt", () => a.calls.length > 0);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(a.calls[0]?.signal.aborted).toBe(true);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("a client that stops reading mid-stream aborts the upstream call", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(100)));
    const { router } = routerFor(slow({}), [a]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    for await (const _event of eventsOf(dispatched.reply.chunks)) break;
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });
});

describe("router: what telemetry hears of an attempt", () => {
  const recorder = () => {
    const heard: string[] = [];
    const telemetry = {
      attempt: () => ({
        traceparent: undefined,
        settled: (error?: GatewayError, servedBy?: string) =>
          heard.push(`settled ${error?.code ?? "ok"} ${servedBy ?? "-"}`),
        closed: (error?: GatewayError) => heard.push(`closed ${error?.code ?? "ok"}`),
      }),
    };
    return { heard, telemetry };
  };
  const httpAnswer = (init: { stream: boolean }) => (): Promise<ProviderReply> => {
    const body = init.stream
      ? 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
      : JSON.stringify({
          id: "x",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        });
    const type = init.stream ? "text/event-stream" : "application/json";
    return Promise.resolve({
      kind: "http",
      response: new Response(body, { headers: { "content-type": type } }),
      servedBy: "worker:w1",
    });
  };
  const passing = (name: string, script: Script) => ({ ...fakeProvider(name, script), passThrough: true });

  for (const stream of [false, true]) {
    test(`a ${stream ? "stream" : "body"} done within its first read is settled (with who served it) before it is closed`, async () => {
      const { heard, telemetry } = recorder();
      const a = passing("a", httpAnswer({ stream }));
      const { router } = routerFor(twoRoutes(), [a, fakeProvider("b")]);
      const body = { model: "m", messages: [{ role: "user", content: "hi" }], stream };
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      const received = { bytes, body, headers: {}, query: "" };
      const dispatched = await router(chatRequest("m", { stream, telemetry, received }));
      if (dispatched.reply.kind === "stream") await drain(dispatched.reply.chunks);
      await waitFor("the attempt closed", () => heard.length === 2);
      expect(heard).toEqual(["settled ok worker:w1", "closed ok"]);
    });
  }
});

describe("router: what a translation needs of the route", () => {
  test("a chat call without a bound, on an Anthropic route, gets the route model's output limit", async () => {
    const message = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
    const anthropic = {
      ...fakeProvider("a", () => Promise.resolve(jsonReply(message))),
      dialect: "anthropic" as const,
    };
    const config = {
      providers: [{ name: "a", type: "anthropic" }],
      models: [{ name: "gpt-5.5", routes: [{ provider: "a", model: "claude-opus-4-6" }] }],
    };
    const { router } = routerFor(config, [anthropic]);
    await router(chatRequest("gpt-5.5"));
    // The caller's model name says nothing of Anthropic's limits; the route's does.
    expect(anthropic.calls[0]?.body).toMatchObject({ model: "claude-opus-4-6", max_tokens: 128_000 });
  });
});
