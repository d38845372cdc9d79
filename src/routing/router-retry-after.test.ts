import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor, twoRoutes } from "./router-test-kit.ts";

// When a route that answered 429 may be asked again, and what wait the caller is told.

describe("router: when a route that refused may be asked again (Retry-After, rate-limit headers)", () => {
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
