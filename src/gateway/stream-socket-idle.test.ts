import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { RouteHealth } from "../routing/route-health.ts";
import { RuntimeHolder } from "./runtime.ts";
import { streamSocketIdleSeconds, streamSocketWarning } from "./stream-socket-idle.ts";

test("a stream's socket is held past the longest attempt timeout, plus server.idle_timeout, at most 255 s", () => {
  // Defaults: first_byte 120 s, idle 60 s, idle_timeout 30 s.
  expect(streamSocketIdleSeconds(parseConfig({}), 30_000)).toBe(150);
  const slowRoute = parseConfig({
    providers: [{ name: "p", type: "mock", timeouts: { idle: "200s" } }],
    models: [{ name: "m", routes: [{ provider: "p", model: "m", timeouts: { first_byte: "10s" } }] }],
  });
  expect(streamSocketIdleSeconds(slowRoute, 30_000)).toBe(230);
  const slowest = parseConfig({ routing: { timeouts: { first_byte: "600s" } } });
  expect(streamSocketIdleSeconds(slowest, 30_000)).toBe(255);
});

test("a version's snapshot adds the listener's idle bound, not its own (server.idle_timeout is restart-only)", () => {
  const holder = new RuntimeHolder(parseConfig({}), {
    providers: () => ({ name: "p", dialect: "openai", call: async () => ({ kind: "json", body: {} }) }),
    workers: undefined,
    health: new RouteHealth({ failures: 5, cooldownMs: 1000 }),
    authenticatorFor: () => async () => {
      throw new Error("no");
    },
    policy: { admit: () => ({}), record: () => 0 },
    router: { log: () => {} },
    idleTimeoutMs: 30_000,
  });
  holder.swap(parseConfig({ server: { idle_timeout: "200s" }, routing: { retries: 1 } }));
  expect(holder.current.streamSocketIdle).toBe(150);
  holder.close();
});

test("a warning when a stream may wait longer than its socket may stay quiet and no keep-alive comment comes before", () => {
  expect(streamSocketWarning(parseConfig({}))).toBeUndefined();
  const slowRoute = {
    providers: [{ name: "p", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "p", model: "m", timeouts: { first_byte: "10m" } }] }],
  };
  // Kept alive every 15 s (the default), or every 4 minutes: comments come within the 255 s.
  expect(streamSocketWarning(parseConfig(slowRoute))).toBeUndefined();
  expect(
    streamSocketWarning(parseConfig({ ...slowRoute, routing: { stream_keepalive: "4m" } })),
  ).toBeUndefined();
  expect(streamSocketWarning(parseConfig({ ...slowRoute, routing: { stream_keepalive: "0s" } }))).toContain(
    "let a stream wait 600s on its upstream, longer than its connection may stay quiet (255s, Bun's most), and routing.stream_keepalive is off",
  );
  expect(streamSocketWarning(parseConfig({ ...slowRoute, routing: { stream_keepalive: "5m" } }))).toContain(
    "routing.stream_keepalive (300s) comes too late",
  );
  // Within 255 s, the socket is held as long as the timeouts allow: nothing to warn of.
  expect(
    streamSocketWarning(parseConfig({ routing: { timeouts: { idle: "250s" }, stream_keepalive: "0s" } })),
  ).toBeUndefined();
});
