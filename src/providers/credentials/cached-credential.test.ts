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
});
