import { describe, expect, test } from "bun:test";
import { repeatedFailure } from "../../log/repeated-failure.ts";
import { CachedCredential } from "./cached-credential.ts";

describe("CachedCredential", () => {
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

  test("a refresh that fails within the margin fails no call while the cached token is valid: it is logged, once a burst, and a call five seconds later tries again; a caller with no valid token gets the failure", async () => {
    let now = 0;
    let fetches = 0;
    const lines: string[] = [];
    const push = (line: string) => void lines.push(line);
    const logger = { debug: push, info: push, warn: push, error: push };
    const failed = repeatedFailure(logger, "upstream az's token refresh", { now: () => now });
    const validFor: number[] = [];
    let told = Promise.withResolvers<void>();
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => {
        fetches += 1;
        if (fetches > 1) throw new Error("the token endpoint answered 503");
        return { value: "token-1", expiresAt: now + 3_600_000 };
      },
      refreshFailed: (error, validForMs) => {
        failed(error);
        validFor.push(validForMs);
        told.resolve();
      },
    });
    expect(await credential.get()).toBe("token-1");
    // Four minutes before it expires: within the five minutes' margin.
    const start = 3_360_000;
    for (let attempt = 0; attempt < 3; attempt++) {
      now = start + attempt * 5_000;
      expect(await credential.get()).toBe("token-1");
      await told.promise;
      told = Promise.withResolvers<void>();
      // The calls until five seconds after a failure start no fetch: a token endpoint that is
      // down was asked again for every call (575 a second), on every node.
      expect(await credential.get()).toBe("token-1");
      now += 4_999;
      expect(await credential.get()).toBe("token-1");
      expect(fetches).toBe(attempt + 2);
    }
    expect(validFor).toEqual([240_000, 235_000, 230_000]);
    expect(lines).toEqual(["upstream az's token refresh failed: Error: the token endpoint answered 503"]);
    now = 3_600_000;
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
    gate = Promise.withResolvers<void>();
    fetches = 0;
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
    let now = 0;
    let fetches = 0;
    let release: () => void = () => {};
    const credential = new CachedCredential({
      now: () => now,
      fetch: async () => {
        fetches += 1;
        if (fetches > 1) await new Promise<void>((resolve) => (release = resolve));
        return { value: `token-${fetches}`, expiresAt: now + 3_600_000 };
      },
    });
    expect(await credential.get()).toBe("token-1");
    now = 3_500_000;
    expect(await credential.get()).toBe("token-1");
    expect(credential.invalidate("token-1")).toBe(true);
    const waiting = credential.get();
    release();
    expect(await waiting).toBe("token-2");
    expect(fetches).toBe(2);
  });

  test("concurrent callers share one fetch; a failure is not cached", async () => {
    let fetches = 0;
    let fail = true;
    const credential = new CachedCredential({
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
    expect(await credential.get()).toBe("ok");
    expect(fetches).toBe(2);
  });

  test("a refused token is fetched again at once; the calls refused with it share one fetch", async () => {
    let fetches = 0;
    let release: () => void = () => {};
    const credential = new CachedCredential({
      fetch: async () => {
        fetches += 1;
        if (fetches > 1) await new Promise<void>((resolve) => (release = resolve));
        return { value: `token-${fetches}`, expiresAt: Date.now() + 3_600_000 };
      },
    });
    expect(await credential.get()).toBe("token-1");
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
    expect(fetches).toBe(2);
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
