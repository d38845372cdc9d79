// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { ConfigError } from "./config-error.ts";
import { configSchema } from "./config-schema.ts";
import { loadConfigFile, parseConfig } from "./load-config.ts";
import { withUnits } from "./unit-fields.ts";
import { formatDuration, formatSize, parseDuration, parseSize } from "./units.ts";

const EXAMPLE = join(import.meta.dir, "../../config.example.yaml");
const JWT = { secret: "0123456789abcdef0123456789abcdef", issuer: "i", audience: "a", algorithms: ["HS256"] };

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

describe("formatSize", () => {
  test.each([
    [0, "0B"],
    [1500, "1500B"],
    [1024, "1KB"],
    [16 * 1024, "16KB"],
    [1536 * 1024, "1536KB"],
    [10 * 1024 ** 2, "10MB"],
    [2 * 1024 ** 3, "2GB"],
  ] as const)("%p bytes → %p, which reads back the same", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
    expect(parseSize(text)).toBe(bytes);
  });
});

describe("withUnits", () => {
  test("printed config is valid input again and reads back to the same config", async () => {
    // Durations in every section that has one, with a provider, a route and a model override.
    const config = parseConfig({
      providers: [
        { name: "p", type: "openai", base_url: "http://127.0.0.1:1/v1", timeouts: { idle: "90s" } },
      ],
      models: [{ name: "m", routes: [{ provider: "p", model: "x", timeouts: { first_byte: "1500ms" } }] }],
      server: { drain_timeout: "2m", max_body: "512KB" },
      routing: { backoff: "250ms", circuit_breaker: { cooldown: "1h" } },
      admin_ui: { session_ttl: "12h" },
      auth: { jwt: { ...JWT, clock_tolerance: 0, jwks_cache_max_age: "90s" } },
    });
    const printed = stringify(withUnits(configSchema, config));
    expect(printed).toContain("drain_timeout: 2m");
    expect(printed).toContain("idle_timeout: 30s");
    expect(printed).toContain("backoff: 250ms");
    expect(printed).toContain("cooldown: 1h");
    expect(printed).toContain("first_byte: 1500ms");
    expect(printed).toContain("idle: 90s");
    expect(printed).toContain("retention: 30d");
    expect(printed).toContain("clock_tolerance: 0ms");
    expect(printed).toContain("jwks_cache_max_age: 90s");
    expect(printed).not.toMatch(/(timeout|retention|backoff|cooldown|heartbeat): \d+\n/);
    // Sizes as written, not in bytes (README: config check prints "units kept").
    expect(printed).toContain("max_body: 512KB");
    expect(printed).toContain("max_sse_line: 1MB");
    expect(printed).toContain("max_upstream_body: 32MB");
    expect(printed).toContain("max_answer: 16KB");
    expect(printed).toContain("max_message: 1MB");
    expect(parseConfig(parse(printed))).toEqual(config);
  });

  test("the example config round-trips too", async () => {
    const config = await loadConfigFile(EXAMPLE, {});
    const printed = stringify(withUnits(configSchema, config));
    expect(parseConfig(parse(printed), {})).toEqual(config);
  });
});

describe("one rule for every duration (config.example.yaml: a bare number other than 0 is an error)", () => {
  const problems = (document: object) => {
    try {
      parseConfig(document, {});
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  test("a bare 0 is read as 0 ms in auth.jwt as in the rest of the config; a bare 30 is refused with its unit asked for", () => {
    const config = parseConfig(
      { server: { drain_timeout: 0 }, auth: { jwt: { ...JWT, clock_tolerance: 0 } } },
      {},
    );
    expect(config.server.drain_timeout).toBe(0);
    expect(config.auth.jwt?.clock_tolerance).toBe(0);
    expect(config.auth.jwt?.jwks_cooldown).toBe(30_000);
    expect(problems({ auth: { jwt: { ...JWT, clock_tolerance: 30 } } })).toEqual([
      'auth.jwt.clock_tolerance: invalid duration "30" (needs a unit: 30ms? 30s?)',
    ]);
  });

  test("admin_ui.session_ttl takes the same spellings, and must be above 0", () => {
    expect(parseConfig({ admin_ui: { session_ttl: "${TTL:-30m}" } }, {}).admin_ui.session_ttl).toBe(
      1_800_000,
    );
    expect(problems({ admin_ui: { session_ttl: 0 } })).toEqual([
      "admin_ui.session_ttl: must be more than 0: a sign-in would end as it began; leave it out for its default (12h), or write a longer duration",
    ]);
    expect(problems({ admin_ui: { session_ttl: "12" } })).toEqual([
      'admin_ui.session_ttl: invalid duration "12" (needs a unit: 12ms? 12s?)',
    ]);
  });
});
