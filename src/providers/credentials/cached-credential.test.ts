import { describe, expect, test } from "bun:test";
import { CachedCredential } from "./cached-credential.ts";

describe("CachedCredential", () => {
  test("fetches once, serves from cache until the refresh margin, then refreshes", async () => {
    let now = 0;
    let fetches = 0;
    const credential = new CachedCredential({
      now: () => now,
      marginMs: 1_000,
      fetch: async () => ({ value: `token-${++fetches}`, expiresAt: now + 10_000 }),
    });
    expect(await credential.get()).toBe("token-1");
    now = 8_999;
    expect(await credential.get()).toBe("token-1");
    now = 9_000;
    expect(await credential.get()).toBe("token-2");
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
