import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { streamSocketIdleSeconds } from "./stream-socket-idle.ts";

test("a stream's socket is held past the longest attempt timeout, plus server.idle_timeout, at most 255 s", () => {
  // Defaults: first_byte 120 s, idle 60 s, idle_timeout 30 s.
  expect(streamSocketIdleSeconds(parseConfig({}))).toBe(150);
  const slowRoute = parseConfig({
    providers: [{ name: "p", type: "mock", timeouts: { idle: "200s" } }],
    models: [{ name: "m", routes: [{ provider: "p", model: "m", timeouts: { first_byte: "10s" } }] }],
  });
  expect(streamSocketIdleSeconds(slowRoute)).toBe(230);
  const slowest = parseConfig({ routing: { timeouts: { first_byte: "600s" } } });
  expect(streamSocketIdleSeconds(slowest)).toBe(255);
});
