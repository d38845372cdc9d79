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

  test("a refresh that fails within the margin fails no call while the cached token is valid: it is logged, once a burst, and the next call tries again; a caller with no valid token gets the failure", async () => {
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
    now = 3_360_000;
    for (let call = 0; call < 3; call++) {
      expect(await credential.get()).toBe("token-1");
      await told.promise;
      told = Promise.withResolvers<void>();
    }
    expect(fetches).toBe(4);
    expect(validFor).toEqual([240_000, 240_000, 240_000]);
    expect(lines).toEqual(["upstream az's token refresh failed: Error: the token endpoint answered 503"]);
    now = 3_600_000;
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    expect(validFor).toHaveLength(3);
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
