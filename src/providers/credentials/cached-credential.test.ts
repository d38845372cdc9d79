import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { repeatedFailure } from "../../log/repeated-failure.ts";
import { CachedCredential, FRESH_REFUSAL_MS } from "./cached-credential.ts";
import { credentialFailure } from "./credential-failure.ts";

/**
 * A credential whose first fetch is `token-1`, valid an hour from `state.now`, and every later one
 * the token endpoint's 503; each refresh that fails is told to `refreshFailed`.
 */
const failingAfterFirst = (refreshFailed: (error: unknown, validForMs: number) => void) => {
  const state = { now: 0, fetches: 0 };
  const credential = new CachedCredential({
    now: () => state.now,
    random: () => 1,
    fetch: async () => {
      state.fetches += 1;
      if (state.fetches > 1) throw new Error("the token endpoint answered 503");
      return { value: "token-1", expiresAt: state.now + 3_600_000 };
    },
    refreshFailed,
  });
  return { state, credential };
};

describe("CachedCredential", () => {
  /**
   * A credential whose endpoint numbers its tokens (`token-1`, `token-2`…), each valid an hour from
   * its fetch at `state.now`; with `hold`, each fetch after the first waits for `release()`.
   */
  const numbered = (hold = false) => {
    const state = { now: 0, fetches: 0 };
    let release: () => void = () => {};
    const credential = new CachedCredential({
      now: () => state.now,
      fetch: async () => {
        state.fetches += 1;
        if (hold && state.fetches > 1) await new Promise<void>((resolve) => (release = resolve));
        return { value: `token-${state.fetches}`, expiresAt: state.now + 3_600_000 };
      },
    });
    return { state, credential, release: () => release() };
  };

  test("fetches once, serves from cache until the refresh margin; within it, the cached one answers while a fresh one is fetched beside it", async () => {
    let now = 0;
    let fetches = 0;
    const released = Promise.withResolvers<void>();
    /** The last fetch: once it settles, what it fetched is cached (the cache's own `then` runs first). */
    let fetched: Promise<unknown> = Promise.resolve();
    const credential = new CachedCredential({
      now: () => now,
      marginMs: 1_000,
      fetch: () => {
        const fetch = async () => {
          fetches += 1;
          if (fetches > 1) await released.promise;
          return { value: `token-${fetches}`, expiresAt: now + 10_000 };
        };
        const answer = fetch();
        fetched = answer;
        return answer;
      },
    });
    expect(await credential.get()).toBe("token-1");
    now = 8_999;
    expect(await credential.get()).toBe("token-1");
    expect(fetches).toBe(1);
    now = 9_000;
    // The refresh is in flight: the calls meanwhile are answered with the valid token, one fetch.
    expect(await credential.get()).toBe("token-1");
    expect(await credential.get()).toBe("token-1");
    expect(fetches).toBe(2);
    released.resolve();
    await fetched;
    expect(await credential.get()).toBe("token-2");
    expect(fetches).toBe(2);
  });

  test("a refresh that fails within the margin fails no call while the cached token is valid: it is logged, once a burst, and tried again after a backoff (2 s, 4 s, 8 s…); a caller with no valid token gets the failure", async () => {
    const lines: string[] = [];
    const push = (line: string) => void lines.push(line);
    const logger = { debug: push, info: push, warn: push, error: push };
    const validFor: number[] = [];
    let told = Promise.withResolvers<void>();
    const { state, credential } = failingAfterFirst((error, validForMs) => {
      failed(error);
      validFor.push(validForMs);
      told.resolve();
    });
    const failed = repeatedFailure(logger, "upstream az's token refresh", { now: () => state.now });
    expect(await credential.get()).toBe("token-1");
    // Four minutes before it expires: within the five minutes' margin.
    state.now = 3_360_000;
    for (const [attempt, wait] of [2_000, 4_000, 8_000].entries()) {
      expect(await credential.get()).toBe("token-1");
      await told.promise;
      told = Promise.withResolvers<void>();
      // The calls until the backoff after a failure is over start no fetch: a token endpoint that
      // is down was asked again for every call (575 a second), on every node.
      expect(await credential.get()).toBe("token-1");
      state.now += wait - 1;
      expect(await credential.get()).toBe("token-1");
      expect(state.fetches).toBe(attempt + 2);
      state.now += 1;
    }
    expect(validFor).toEqual([240_000, 238_000, 234_000]);
    expect(lines).toEqual(["upstream az's token refresh failed: Error: the token endpoint answered 503"]);
    state.now = 3_600_000;
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    expect(validFor).toHaveLength(3);
  });

  test("a refused token is fetched again at once, even within the seconds waited after a failed refresh", async () => {
    let now = 0;
    let fetches = 0;
    const told = Promise.withResolvers<void>();
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => {
        fetches += 1;
        if (fetches === 2) throw new Error("the token endpoint answered 503");
        return { value: `token-${fetches}`, expiresAt: now + 3_600_000 };
      },
      refreshFailed: () => told.resolve(),
    });
    expect(await credential.get()).toBe("token-1");
    now = 3_500_000;
    expect(await credential.get()).toBe("token-1");
    await told.promise;
    expect(credential.invalidate("token-1")).toBe(true);
    expect(await credential.get()).toBe("token-3");
    expect(fetches).toBe(3);
  });

  test("a failed refresh is told only while the token it ran beside still answers: not once that token was refused, nor after it expired", async () => {
    let now = 0;
    let fetches = 0;
    let gate = Promise.withResolvers<void>();
    const told: number[] = [];
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => {
        fetches += 1;
        if (fetches === 1) return { value: "token-1", expiresAt: now + 3_600_000 };
        await gate.promise;
        throw new Error("the token endpoint answered 503");
      },
      refreshFailed: (_error, validForMs) => void told.push(validForMs),
    });
    expect(await credential.get()).toBe("token-1");
    // Refused while its refresh is in flight: the caller waiting gets the failure, and the log
    // said "(the cached one still valid)" with 200000 ms for the token refused.
    now = 3_400_000;
    expect(await credential.get()).toBe("token-1");
    expect(credential.invalidate("token-1")).toBe(true);
    const waiting = credential.get();
    gate.resolve();
    await expect(waiting).rejects.toThrow("503");
    expect(told).toEqual([]);
    // A refresh still running when the token expires: its failure said valid_for_ms negative.
    // (Asked once the backoff after that failure is over, two seconds at most.)
    gate = Promise.withResolvers<void>();
    fetches = 0;
    now += 2_000;
    expect(await credential.get()).toBe("token-1");
    const expiry = now + 3_600_000;
    now = expiry - 200_000;
    expect(await credential.get()).toBe("token-1");
    now = expiry + 1;
    const late = credential.get();
    gate.resolve();
    await expect(late).rejects.toThrow("503");
    expect(told).toEqual([]);
  });

  test("a teller that throws (an embedder's logger) is no unhandled rejection: the calls go on with the valid token", async () => {
    let now = 0;
    let fetches = 0;
    let unhandled = 0;
    const count = () => void unhandled++;
    process.on("unhandledRejection", count);
    try {
      const threw = Promise.withResolvers<void>();
      const credential = new CachedCredential({
        now: () => now,
        fetch: async () => {
          fetches += 1;
          if (fetches > 1) throw new Error("the token endpoint answered 503");
          return { value: "token-1", expiresAt: now + 3_600_000 };
        },
        refreshFailed: () => {
          threw.resolve();
          throw new Error("log shipper down");
        },
      });
      expect(await credential.get()).toBe("token-1");
      now = 3_400_000;
      expect(await credential.get()).toBe("token-1");
      await threw.promise;
      // An unhandled rejection is reported once the microtasks run out: a turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(await credential.get()).toBe("token-1");
    } finally {
      process.off("unhandledRejection", count);
    }
    expect(unhandled).toBe(0);
  });

  test("a token that lives five minutes or less is used for the first half of its life, not fetched again for every call", async () => {
    let now = 0;
    let fetches = 0;
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => ({ value: `token-${++fetches}`, expiresAt: now + 200_000 }),
    });
    expect(await credential.get()).toBe("token-1");
    now = 99_999;
    expect(await credential.get()).toBe("token-1");
    expect(fetches).toBe(1);
    now = 100_000;
    expect(await credential.get()).toBe("token-1");
    expect(fetches).toBe(2);
  });

  test("a token already expired when it arrives is fetched again for the next call", async () => {
    let fetches = 0;
    const credential = new CachedCredential({
      now: () => 0,
      fetch: async () => ({ value: `token-${++fetches}`, expiresAt: 0 }),
    });
    expect(await credential.get()).toBe("token-1");
    expect(await credential.get()).toBe("token-2");
  });

  test("a refused token waits for a fresh one, even while a refresh started within the margin is in flight", async () => {
    const { state, credential, release } = numbered(true);
    expect(await credential.get()).toBe("token-1");
    state.now = 3_500_000;
    expect(await credential.get()).toBe("token-1");
    expect(credential.invalidate("token-1")).toBe(true);
    const waiting = credential.get();
    release();
    expect(await waiting).toBe("token-2");
    expect(state.fetches).toBe(2);
  });

  test("concurrent callers share one fetch; a failure is not cached", async () => {
    let fetches = 0;
    let fail = true;
    let now = 0;
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => {
        fetches += 1;
        if (fail) throw new Error("token endpoint down");
        return { value: "ok", expiresAt: Number.POSITIVE_INFINITY };
      },
    });
    const results = await Promise.allSettled([credential.get(), credential.get(), credential.get()]);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(fetches).toBe(1);
    fail = false;
    // Asked again once the backoff after the failure is over (two seconds at most).
    now = 2_000;
    expect(await credential.get()).toBe("ok");
    expect(fetches).toBe(2);
  });

  test("a refused token is fetched again at once; the calls refused with it share one fetch", async () => {
    const { state, credential, release } = numbered(true);
    expect(await credential.get()).toBe("token-1");
    state.now = 60_000;
    // Three calls sent with token-1 are refused: each invalidates it and asks again.
    expect(credential.invalidate("token-1")).toBe(true);
    const first = credential.get();
    expect(credential.invalidate("token-1")).toBe(true);
    const second = credential.get();
    release();
    expect(await Promise.all([first, second])).toEqual(["token-2", "token-2"]);
    // A refusal of the old token heard after the fresh one arrived leaves the fresh one cached.
    expect(credential.invalidate("token-1")).toBe(true);
    expect(await credential.get()).toBe("token-2");
    expect(state.fetches).toBe(2);
  });

  test("a token fetched in place of a refused one and refused within 30 s of its fetch is kept, no second try: refusals no token mends fetch at most one a 30 s, however many calls", async () => {
    const { state, credential } = numbered();
    expect(await credential.get()).toBe("token-1");
    // The first refusal gets a fresh token at once, however new the refused one (revoked as it came).
    expect(credential.invalidate("token-1")).toBe(true);
    expect(await credential.get()).toBe("token-2");
    // Its replacement refused as it arrived (a role missing): kept, and the same token answers.
    expect(credential.invalidate("token-2")).toBe(false);
    expect(await credential.get()).toBe("token-2");
    state.now = FRESH_REFUSAL_MS - 1;
    expect(credential.invalidate("token-2")).toBe(false);
    // Older: another fresh try; that one refused is kept in turn.
    state.now = FRESH_REFUSAL_MS;
    expect(credential.invalidate("token-2")).toBe(true);
    expect(await credential.get()).toBe("token-3");
    expect(credential.invalidate("token-3")).toBe(false);
    // Every call of ten minutes refused, one a second: one fetch each 30 s at most.
    for (let i = 0; i < 600; i++) {
      const token = await credential.get();
      if (credential.invalidate(token)) await credential.get();
      state.now += 1_000;
    }
    expect(state.fetches).toBeLessThanOrEqual(3 + 600 / 30);
  });

  test("a credential that never expires (static keys) is kept: a second try could not help", async () => {
    let fetches = 0;
    const credential = new CachedCredential({
      fetch: async () => ({ value: `key-${++fetches}`, expiresAt: Number.POSITIVE_INFINITY }),
    });
    expect(await credential.get()).toBe("key-1");
    expect(credential.invalidate("key-1")).toBe(false);
    expect(await credential.get()).toBe("key-1");
    expect(fetches).toBe(1);
  });
});

describe("CachedCredential after failed fetches", () => {
  /** A credential whose endpoint fails until `ok` is set, at the clock `clock.now`. */
  const failing = (random: () => number) => {
    const state = { now: 0, fetches: 0, ok: false };
    const credential = new CachedCredential({
      now: () => state.now,
      random,
      fetch: async () => {
        state.fetches += 1;
        if (!state.ok) throw new Error("the token endpoint answered 503");
        return { value: `token-${state.fetches}`, expiresAt: state.now + 3_600_000 };
      },
    });
    return { state, credential };
  };

  test("with no valid credential, the endpoint is not asked again for every call: the calls until the wait is over fail at once, saying when it is asked again; each failure in a row doubles the wait, up to a minute", async () => {
    const { state, credential } = failing(() => 1);
    const waits: number[] = [];
    let failedAt = 0;
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    for (let attempt = 0; attempt < 8; attempt++) {
      // Find the first moment a fetch goes again: every call before it fails without one.
      const fetches = state.fetches;
      state.now = failedAt + 1;
      await expect(credential.get()).rejects.toThrow(/the token endpoint answered 503; asked again in \d+ s/);
      expect(state.fetches).toBe(fetches);
      let wait = 1_000;
      while (true) {
        state.now = failedAt + wait;
        await credential.get().catch(() => {});
        if (state.fetches > fetches) break;
        wait += 1_000;
      }
      waits.push(wait);
      failedAt = state.now;
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    // Back: the next call that may ask gets a token, and the failures in a row start over.
    state.ok = true;
    state.now = failedAt + 60_000;
    const next = `token-${state.fetches + 1}`;
    expect(await credential.get()).toBe(next);
  });

  test("the wait is jittered between half and the whole of it, so that nodes do not ask together", async () => {
    const { state, credential } = failing(() => 0);
    await expect(credential.get()).rejects.toThrow("503");
    state.now = 999;
    await expect(credential.get()).rejects.toThrow("asked again in 1 s");
    expect(state.fetches).toBe(1);
    state.now = 1_000;
    await expect(credential.get()).rejects.toThrow("503");
    expect(state.fetches).toBe(2);
    state.now = 2_999;
    await expect(credential.get()).rejects.toThrow("asked again in 1 s");
    state.now = 3_000;
    await expect(credential.get()).rejects.toThrow("503");
    expect(state.fetches).toBe(3);
  });

  test("a success ends the backoff: the next failure waits the first wait again", async () => {
    const { state, credential } = failing(() => 1);
    for (let i = 0; i < 4; i++) {
      await credential.get().catch(() => {});
      state.now += 60_000;
    }
    expect(state.fetches).toBe(4);
    state.ok = true;
    expect(await credential.get()).toBe("token-5");
    state.ok = false;
    state.now += FRESH_REFUSAL_MS;
    expect(credential.invalidate("token-5")).toBe(true);
    const at = state.now;
    await expect(credential.get()).rejects.toThrow("503");
    state.now = at + 1_999;
    await expect(credential.get()).rejects.toThrow("asked again in 1 s");
    state.now = at + 2_000;
    await expect(credential.get()).rejects.toThrow("503");
    expect(state.fetches).toBe(7);
  });

  test("a refresh beside a valid token that keeps failing backs off too, never past the token's expiry", async () => {
    const told: number[] = [];
    let heard = Promise.withResolvers<void>();
    const { state, credential } = failingAfterFirst((_error, validForMs) => {
      told.push(validForMs);
      heard.resolve();
    });
    expect(await credential.get()).toBe("token-1");
    // Within the margin: each call that may ask starts a refresh beside the token.
    state.now = 3_400_000;
    const asked: number[] = [];
    while (state.now < 3_600_000) {
      const before = state.fetches;
      expect(await credential.get()).toBe("token-1");
      if (state.fetches > before) {
        asked.push(state.now - 3_400_000);
        await heard.promise;
        heard = Promise.withResolvers<void>();
      }
      state.now += 1_000;
    }
    // 2, 4, 8, 16, 32, 60 s apart, a minute: 8 asks in the 200 s before the expiry, where a flat five seconds made 40; at the expiry, one more.
    expect(asked).toEqual([0, 2_000, 6_000, 14_000, 30_000, 62_000, 122_000, 182_000]);
    expect(told).toHaveLength(8);
    state.now = 3_600_000;
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    expect(state.fetches).toBe(10);
  });

  test("a wait the endpoint asked for (Retry-After on a 429 or 503) is kept past the backoff, up to ten minutes; the calls meanwhile get the same retryable 502, at once", async () => {
    let now = 0;
    let fetches = 0;
    let asked = 120_000;
    const credential = new CachedCredential({
      now: () => now,
      random: () => 1,
      fetch: async () => {
        fetches += 1;
        throw credentialFailure("az", "the token endpoint answered 429", {}, asked);
      },
    });
    await expect(credential.get()).rejects.toThrow("answered 429");
    now = 119_999;
    const meanwhile = await credential.get().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(meanwhile).toBeInstanceOf(GatewayError);
    const refused = meanwhile as GatewayError;
    expect([refused.status, refused.code, refused.retryable, refused.message]).toEqual([
      502,
      "upstream_error",
      true,
      "could not get credentials for upstream az: the token endpoint answered 429; asked again in 1 s",
    ]);
    expect(fetches).toBe(1);
    now = 120_000;
    asked = 86_400_000;
    await expect(credential.get()).rejects.toThrow("answered 429");
    expect(fetches).toBe(2);
    // A day asked for is ten minutes waited: an endpoint's "come back tomorrow" is not a day of 502s.
    now = 120_000 + 599_999;
    await expect(credential.get()).rejects.toThrow("asked again in 1 s");
    now = 120_000 + 600_000;
    await expect(credential.get()).rejects.toThrow("answered 429");
    expect(fetches).toBe(3);
  });
});
