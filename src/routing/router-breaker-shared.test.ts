import { describe, expect, test } from "bun:test";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { BREAKER, chatRequest, fakeProvider, jsonReply, never, routerFor } from "./router-test-kit.ts";

// One breaker for an upstream model that several entries route to, whatever their own timeouts.

describe("router: the breaker of an upstream model several entries route to", () => {
  /**
   * `fast` and `slow` both route to upstream model `o` of provider `fo`, which they share a breaker
   * for (`fo/o`); `fast` waits 5 ms for the whole answer, `slow` ten minutes, `any-*` (`fo/*`) a
   * second, and `also-fast` as long as `fast`.
   */
  const shared = () => ({
    providers: [{ name: "fo", type: "openai" }],
    models: [
      { name: "fast", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] },
      { name: "also-fast", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] },
      { name: "slow", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "10m" } }] },
    ],
    routing: { retries: 0, backoff: 0, circuit_breaker: BREAKER },
  });
  /** An upstream slower than 5 ms while `slow` is set: it never answers a call that gives up sooner. */
  const upstream = (state: { slow: boolean; down?: boolean }) =>
    fakeProvider("fo", (call) =>
      state.down
        ? Promise.reject(upstreamError("connection refused"))
        : state.slow
          ? never(call)
          : Promise.resolve(jsonReply()),
    );

  test("an entry's own tighter timeouts never take the upstream model away from an entry that waits longer for it", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    const { router, health, healthLogs } = routerFor(shared(), [fo]);
    for (let i = 0; i < 4; i++) {
      const error = (await router(chatRequest("fast")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.code]).toEqual([504, "upstream_timeout"]);
    }
    expect(health.isOpen("fo/o")).toBe(false);
    expect(healthLogs).toEqual([]);
    // `slow` would have waited ten minutes: it is sent, and answered.
    state.slow = false;
    expect((await router(chatRequest("slow"))).route).toBe("provider:fo");
    expect(fo.calls).toHaveLength(5);
  });

  test("connection refusals and 5xx on any entry's traffic count for every entry of the upstream model", async () => {
    const state = { slow: false, down: true };
    const fo = upstream(state);
    const { router, health } = routerFor(shared(), [fo]);
    await router(chatRequest("fast")).catch(() => {});
    await router(chatRequest("fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
    const refused = (await router(chatRequest("slow")).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.code]).toEqual([503, "no_route_available"]);
    expect(fo.calls).toHaveLength(2);
  });

  test("timeouts of the longest bound any entry of the upstream model has count for all of them", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    // No entry waits longer than 5 ms: the upstream gave no entry its answer in time.
    const config = shared();
    config.models = config.models.filter((model) => model.name !== "slow");
    const { router, health } = routerFor(config, [fo]);
    await router(chatRequest("fast")).catch(() => {});
    await router(chatRequest("also-fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
  });

  test("a route that sends the client's name on (`*`) shares the upstream model's breaker where it can send that name", async () => {
    const state = { slow: true };
    const catchAll = { name: "*", routes: [{ provider: "fo", model: "*", timeouts: { first_byte: "10m" } }] };
    const fast = shared().models.filter((model) => model.name !== "slow");
    // A client naming `o` reaches the catch-all, which would send it to `fo/o` and wait ten
    // minutes: `fast` timing out says nothing.
    const reaching = routerFor({ ...shared(), models: [...fast, catchAll] }, [upstream(state)]);
    for (let i = 0; i < 3; i++) await reaching.router(chatRequest("fast")).catch(() => {});
    expect(reaching.health.isOpen("fo/o")).toBe(false);
    // Beside an entry named `o` (30 s of its own), the catch-all never sends `o`: an exact name is
    // matched first. Its ten minutes stretched `o`'s bound all the same, and a hung `fo/o` never
    // opened its breaker.
    const named = { name: "o", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] };
    const { router, health } = routerFor({ ...shared(), models: [...fast, named, catchAll] }, [
      upstream(state),
    ]);
    await router(chatRequest("o")).catch(() => {});
    await router(chatRequest("fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
  });

  test("an entry's tighter timeouts count once the upstream has answered nothing for the longest bound", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    const { router, health, advance, healthLogs } = routerFor(shared(), [fo]);
    const fastTimesOut = async () => {
      const error = (await router(chatRequest("fast")).catch((e: unknown) => e)) as GatewayError;
      expect(error.code).toBe("upstream_timeout");
    };
    await fastTimesOut();
    // Ten minutes on, `slow` is answered: the upstream is slow, not down.
    advance(10 * 60_000);
    state.slow = false;
    expect((await router(chatRequest("slow"))).route).toBe("provider:fo");
    state.slow = true;
    for (let i = 0; i < 3; i++) await fastTimesOut();
    expect(health.isOpen("fo/o")).toBe(false);
    // Ten more minutes without an answer: `slow` would have had none in time either (a hung
    // upstream, and `slow` without traffic to time out). `fast`'s timeouts count.
    advance(10 * 60_000);
    await fastTimesOut();
    await fastTimesOut();
    expect(health.isOpen("fo/o")).toBe(true);
    expect(healthLogs.map((line) => line.message)).toEqual(["route breaker opened: route taken out"]);
  });
});
