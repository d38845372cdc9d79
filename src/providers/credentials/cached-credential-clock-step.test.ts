/**
 * A cached credential's waits are spans — the backoff after its endpoint failed, the 30 s in which a
 * replacement refused again is kept — and an NTP step of the wall clock stretches none of them
 * (docs/DEPLOYMENT.md, "Clocks"). A credential's expiry is the issuer's wall time and stays the
 * wall clock's. Two clocks stand in for the node's: `wall` (Date.now) that the test steps, and
 * `elapsed` (the monotonic clock) that only runs forward.
 */
import { describe, expect, test } from "bun:test";
import { wallAndElapsed } from "../../testing/stepped-clocks.ts";
import { CachedCredential, FRESH_REFUSAL_MS } from "./cached-credential.ts";

/** Ten minutes: as an NTP step after a long drift, or a VM resumed, is. */
const STEP_MS = 600_000;

describe("CachedCredential under a step of the wall clock", () => {
  test("a step back of 10 minutes during the backoff after a failed fetch holds no call for the step: the endpoint is asked again once the wait is over", async () => {
    const clock = wallAndElapsed();
    let fetches = 0;
    let ok = false;
    const credential = new CachedCredential({
      now: clock.now,
      elapsed: clock.elapsed,
      random: () => 1,
      fetch: async () => {
        fetches += 1;
        if (!ok) throw new Error("the token endpoint answered 503");
        return { value: `token-${fetches}`, expiresAt: clock.now() + 3_600_000 };
      },
    });
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    clock.step(-STEP_MS);
    ok = true;
    clock.run(1_000);
    await expect(credential.get()).rejects.toThrow("asked again in 1 s");
    // The first wait is 2 s: over, whatever the step, and the call is served.
    clock.run(1_000);
    expect(await credential.get()).toBe("token-2");
    expect(fetches).toBe(2);
  });

  test("a step forward of 10 minutes during the backoff starts no fetch early", async () => {
    const clock = wallAndElapsed();
    let fetches = 0;
    const credential = new CachedCredential({
      now: clock.now,
      elapsed: clock.elapsed,
      random: () => 1,
      fetch: async () => {
        fetches += 1;
        throw new Error("the token endpoint answered 503");
      },
    });
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    clock.step(STEP_MS);
    await expect(credential.get()).rejects.toThrow("asked again in 2 s");
    expect(fetches).toBe(1);
  });

  test("a refresh failing beside a valid token waits no longer than that token's expiry, a wall time", async () => {
    const clock = wallAndElapsed();
    let fetches = 0;
    const told = Promise.withResolvers<void>();
    const credential = new CachedCredential({
      now: clock.now,
      elapsed: clock.elapsed,
      random: () => 1,
      refreshFailed: () => told.resolve(),
      fetch: async () => {
        fetches += 1;
        if (fetches > 1) throw new Error("the token endpoint answered 503");
        return { value: "token-1", expiresAt: clock.now() + 3_600_000 };
      },
    });
    expect(await credential.get()).toBe("token-1");
    // A second before it expires: a refresh beside it fails, and its 2 s wait ends by the expiry.
    clock.run(3_600_000 - 1_000);
    expect(await credential.get()).toBe("token-1");
    await told.promise;
    clock.run(999);
    expect(await credential.get()).toBe("token-1");
    expect(fetches).toBe(2);
    clock.run(1);
    await expect(credential.get()).rejects.toThrow("the token endpoint answered 503");
    expect(fetches).toBe(3);
  });

  test("a replacement refused again is kept for 30 s of the node's time, not for the length of a step back", async () => {
    const clock = wallAndElapsed();
    let fetches = 0;
    const credential = new CachedCredential({
      now: clock.now,
      elapsed: clock.elapsed,
      fetch: async () => {
        fetches += 1;
        return { value: `token-${fetches}`, expiresAt: clock.now() + 3_600_000 };
      },
    });
    expect(await credential.get()).toBe("token-1");
    expect(credential.invalidate("token-1")).toBe(true);
    expect(await credential.get()).toBe("token-2");
    clock.step(-STEP_MS);
    clock.run(FRESH_REFUSAL_MS);
    // Older than 30 s: another fresh try, as without the step.
    expect(credential.invalidate("token-2")).toBe(true);
    expect(await credential.get()).toBe("token-3");
  });
});
