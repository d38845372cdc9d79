import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { configSchema } from "./config-schema.ts";
import { withDurationUnits } from "./duration-fields.ts";
import { loadConfigFile, parseConfig } from "./load-config.ts";
import { formatDuration, parseDuration } from "./units.ts";

const EXAMPLE = join(import.meta.dir, "../../config.example.yaml");

describe("formatDuration", () => {
  test.each([
    [0, "0ms"],
    [1, "1ms"],
    [100, "100ms"],
    [1500, "1500ms"],
    [30_000, "30s"],
    [90_000, "90s"],
    [600_000, "10m"],
    [7_200_000, "2h"],
    [2_592_000_000, "30d"],
  ] as const)("%p ms → %p, which reads back the same", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("withDurationUnits", () => {
  test("printed config is valid input again and reads back to the same config", async () => {
    // Durations in every section that has one, with a provider, a route and a model override.
    const config = parseConfig({
      providers: [
        { name: "p", type: "openai", base_url: "http://127.0.0.1:1/v1", timeouts: { idle: "90s" } },
      ],
      models: [{ name: "m", routes: [{ provider: "p", model: "x", timeouts: { first_byte: "1500ms" } }] }],
      server: { drain_timeout: "2m" },
      routing: { backoff: "250ms", circuit_breaker: { cooldown: "1h" } },
      admin_ui: { session_ttl: "12h" },
    });
    const printed = stringify(withDurationUnits(configSchema, config));
    expect(printed).toContain("drain_timeout: 2m");
    expect(printed).toContain("idle_timeout: 30s");
    expect(printed).toContain("backoff: 250ms");
    expect(printed).toContain("cooldown: 1h");
    expect(printed).toContain("first_byte: 1500ms");
    expect(printed).toContain("idle: 90s");
    expect(printed).toContain("retention: 30d");
    expect(printed).not.toMatch(/(timeout|retention|backoff|cooldown|heartbeat): \d+\n/);
    expect(parseConfig(parse(printed))).toEqual(config);
  });

  test("the example config round-trips too", async () => {
    const config = await loadConfigFile(EXAMPLE, {});
    const printed = stringify(withDurationUnits(configSchema, config));
    expect(parseConfig(parse(printed), {})).toEqual(config);
  });
});
