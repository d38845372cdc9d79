import { describe, expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { NO_PROBE, type Probe } from "./breaker-probe.ts";
import { RouteHealth } from "./route-health.ts";

function breaker(failures = 3, cooldownMs = 1000) {
  let now = 0;
  const health = new RouteHealth({ failures, cooldownMs }, () => now);
  return { health, advance: (ms: number) => (now += ms) };
}

/** The probe token a half-open breaker gives the request it lets through (fails when it lets none). */
function probeOf(health: RouteHealth, key: string): Probe {
  const probe = health.admit(key);
  if (probe === undefined || probe === NO_PROBE) throw new Error(`${key}: no probe let through`);
  return probe;
}

describe("circuit breaker", () => {
  test("stays closed below the failure threshold", () => {
    const { health } = breaker(3);
    health.failed("r");
    health.failed("r");
    expect(health.admit("r")).toBe(NO_PROBE);
    expect(health.isOpen("r")).toBe(false);
  });

  test("a success resets the count of consecutive failures", () => {
    const { health } = breaker(3);
    health.failed("r");
    health.failed("r");
    health.succeeded("r", 10);
    health.failed("r");
    health.failed("r");
    expect(health.admit("r")).toBe(NO_PROBE);
  });

  test("opens after N consecutive failures and refuses until the cooldown has passed", () => {
    const { health, advance } = breaker(3, 1000);
    for (let i = 0; i < 3; i++) health.failed("r");
    expect(health.isOpen("r")).toBe(true);
    expect(health.admit("r")).toBeUndefined();
    advance(999);
    expect(health.admit("r")).toBeUndefined();
    // Other routes are unaffected.
    expect(health.admit("other")).toBe(NO_PROBE);
  });

  test("half-open after cooldown: exactly one probe at a time", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    advance(1000);
    expect(health.admit("r")).toBeGreaterThan(NO_PROBE);
    expect(health.admit("r")).toBeUndefined();
    expect(health.isOpen("r")).toBe(true);
  });

  test("a successful probe closes the breaker", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    advance(1000);
    health.succeeded("r", 5, probeOf(health, "r"));
    expect(health.isOpen("r")).toBe(false);
    expect(health.admit("r")).toBe(NO_PROBE);
    expect(health.admit("r")).toBe(NO_PROBE);
  });

  test("a failed probe opens the breaker for another full cooldown", () => {
    const { health, advance } = breaker(2, 1000);
    health.failed("r");
    health.failed("r");
    advance(1000);
    health.failed("r", "down", probeOf(health, "r"));
    expect(health.admit("r")).toBeUndefined();
    advance(999);
    expect(health.admit("r")).toBeUndefined();
    advance(1);
    expect(health.admit("r")).toBeGreaterThan(NO_PROBE);
  });

  test("an answer to a request sent before the breaker opened closes nothing: the cooldown runs, then a probe goes", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    health.succeeded("r", 5);
    expect(health.admit("r")).toBeUndefined();
    advance(1000);
    expect(health.admit("r")).toBeGreaterThan(NO_PROBE);
  });

  test("while a probe is in flight, the verdicts of requests sent before the breaker opened leave it half-open: the probe's own decides", () => {
    const { health, advance } = breaker(1, 1000);
    const state = () => health.breakers().find((b) => b.key === "r")?.state;
    health.failed("r");
    advance(1000);
    const probe = probeOf(health, "r");
    health.succeeded("r", 5);
    health.failed("r");
    health.released("r", NO_PROBE);
    expect(state()).toBe("half_open");
    expect(health.admit("r")).toBeUndefined();
    health.succeeded("r", 5, probe);
    expect(state()).toBe("closed");
  });

  test("a token of an earlier probe is not the one in flight", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    advance(1000);
    const first = probeOf(health, "r");
    health.released("r", first);
    const second = probeOf(health, "r");
    expect(second).not.toBe(first);
    health.succeeded("r", 5, first);
    expect(health.breakers()).toEqual([{ key: "r", state: "half_open" }]);
    health.failed("r", "down", second);
    expect(health.breakers()).toEqual([{ key: "r", state: "open" }]);
  });

  test("a route whose state was dropped and made again does not take an old in-flight probe's verdict for its own probe's", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    advance(1000);
    const old = probeOf(health, "r");
    // A reload drops the route's state (its provider changed) while that probe is in flight.
    health.forget(() => false);
    health.failed("r");
    advance(1000);
    const fresh = probeOf(health, "r");
    expect(fresh).not.toBe(old);
    health.succeeded("r", 5, old);
    expect(health.breakers()).toEqual([{ key: "r", state: "half_open" }]);
    health.succeeded("r", 5, fresh);
    expect(health.breakers()).toEqual([{ key: "r", state: "closed" }]);
  });

  test("the gauge reads half-open only while a probe is in flight, open before and after it", () => {
    const { health, advance } = breaker(1, 1000);
    const state = () => health.breakers().find((b) => b.key === "r")?.state;
    health.succeeded("r", 5);
    expect(state()).toBe("closed");
    health.failed("r");
    expect(state()).toBe("open");
    // The cooldown is over but no request came to probe: as open as it was.
    advance(60_000);
    expect(state()).toBe("open");
    const probe = probeOf(health, "r");
    expect(state()).toBe("half_open");
    health.failed("r", "down", probe);
    expect(state()).toBe("open");
    advance(1000);
    health.released("r", probeOf(health, "r"));
    expect(state()).toBe("open");
    health.succeeded("r", 5, probeOf(health, "r"));
    expect(state()).toBe("closed");
  });

  test("a probe released without a verdict (client left) frees the slot", () => {
    const { health, advance } = breaker(1, 1000);
    health.failed("r");
    advance(1000);
    health.released("r", probeOf(health, "r"));
    expect(health.admit("r")).toBeGreaterThan(NO_PROBE);
  });

  test("a new policy applies to later failures", () => {
    const { health } = breaker(5);
    health.setPolicy({ failures: 1, cooldownMs: 1000 });
    health.failed("r");
    expect(health.admit("r")).toBeUndefined();
  });
});

describe("route load and latency", () => {
  test("in-flight counts never go negative", () => {
    const { health } = breaker();
    health.begin("r");
    health.begin("r");
    health.end("r");
    expect(health.inFlight("r")).toBe(1);
    health.end("r");
    health.end("r");
    expect(health.inFlight("r")).toBe(0);
  });

  test("latency is a moving average of time to first byte, 0 until measured", () => {
    const { health } = breaker();
    expect(health.latency("r")).toBe(0);
    health.succeeded("r", 100);
    expect(health.latency("r")).toBe(100);
    health.succeeded("r", 200);
    expect(health.latency("r")).toBe(120);
  });

  test("past its bound, idle states are dropped; open breakers and busy routes stay", () => {
    let now = 0;
    const states = new Map();
    const health = new RouteHealth({ failures: 1, cooldownMs: 1000 }, () => now, undefined, states, 100);
    health.failed("provider/opened");
    health.begin("provider/busy");
    health.succeeded("provider/measured", 50);
    // Names a client made up, passed on by a `*` route: each leaves an idle state behind.
    for (let i = 0; i < 1000; i++) {
      health.begin(`provider/made-up-${i}`);
      health.end(`provider/made-up-${i}`);
      health.succeeded(`provider/made-up-${i}`, 10);
    }
    expect(states.size).toBeLessThanOrEqual(100);
    expect(health.isOpen("provider/opened")).toBe(true);
    expect(health.admit("provider/opened")).toBeUndefined();
    expect(health.inFlight("provider/busy")).toBe(1);
    now += 1000;
    // Half-open after its cooldown, as if no bound had been reached.
    expect(health.admit("provider/opened")).toBeGreaterThan(NO_PROBE);
    expect(health.admit("provider/opened")).toBeUndefined();
  });

  test("a failing state a `*` route made goes once a few cooldowns pass without a failure; a route failing now keeps its count", () => {
    let now = 0;
    const states = new Map<string, { consecutiveFailures: number }>();
    const health = new RouteHealth(
      { failures: 100, cooldownMs: 1000 },
      () => now,
      silentLogger,
      states as never,
      100,
      // Every name here came through a `*` route: none is configured.
      () => false,
    );
    health.failed("provider/failing");
    for (let i = 0; i < 1000; i++) {
      now += 100;
      // A made-up name a `*` route passed on: the upstream refuses it, and it never comes again.
      health.failed(`provider/made-up-${i}`);
      // A route that fails now and then, never reaching its threshold.
      if (i % 20 === 0) health.failed("provider/failing");
    }
    expect(states.size).toBeLessThanOrEqual(100);
    expect(states.has("provider/made-up-0")).toBe(false);
    expect(states.get("provider/failing")?.consecutiveFailures).toBe(51);
  });

  test("at the bound, an open breaker a `*` route made goes past a few cooldowns; a configured route's stays open, on the gauge", () => {
    let now = 0;
    const states = new Map();
    const health = new RouteHealth(
      { failures: 1, cooldownMs: 1000 },
      () => now,
      silentLogger,
      states,
      100,
      (key) => key === "provider/configured",
    );
    health.failed("provider/made-up");
    health.failed("provider/configured");
    now += 3001;
    for (let i = 0; i < 200; i++) health.succeeded(`provider/name-${i}`, 10);
    expect(states.has("provider/made-up")).toBe(false);
    expect(health.admit("provider/made-up")).toBe(NO_PROBE);
    // A dead configured route with no traffic: its series still reads open, so its alert holds.
    expect(health.breakers().find((b) => b.key === "provider/configured")?.state).toBe("open");
  });

  test("a new config version's view judges configured routes by that version's config", () => {
    let now = 0;
    const states = new Map();
    const first = new RouteHealth({ failures: 1, cooldownMs: 1000 }, () => now, silentLogger, states, 100);
    const next = first.withPolicy({ failures: 1, cooldownMs: 1000 }, () => false);
    next.failed("provider/was-configured");
    now += 3001;
    for (let i = 0; i < 200; i++) next.succeeded(`provider/name-${i}`, 10);
    expect(states.has("provider/was-configured")).toBe(false);
  });
});
