// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { configProblems as problems, TWO_PROVIDERS as providers } from "../testing/config-problems.ts";
import type { ConfigError } from "./config-error.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "./load-config.ts";

describe("parseConfig: defaults and units", () => {
  test("an empty document takes every default", () => {
    const config = parseConfig({}, {});
    expect(config.server).toEqual({
      host: "0.0.0.0",
      port: 8080,
      max_body: 10 * 1024 * 1024,
      drain_timeout: 30_000,
      max_concurrent_requests: 4096,
      max_event_streams: 64,
      idle_timeout: 30_000,
      body_timeout: 30_000,
      max_client_requests: 1024,
      trusted_proxies: [],
    });
    expect(config.routing.retries).toBe(1);
    expect(config.routing.backoff).toBe(100);
    expect(config.routing.timeouts).toEqual({ connect: 10_000, first_byte: 120_000, idle: 60_000 });
    expect(config.routing.circuit_breaker).toEqual({ failures: 5, cooldown: 30_000 });
    expect(config.storage.path).toBe("./data/mindgw.db");
  });

  test("the embedded defaults are a valid config with the mock provider", () => {
    const config = parseConfig(EMBEDDED_DEFAULTS, {});
    expect(config.providers[0]?.type).toBe("mock");
    expect(config.models[0]?.routes[0]?.provider).toBe("mock");
  });

  test("durations and sizes are read with units; route timeouts stay partial", () => {
    const config = parseConfig(
      {
        server: { max_body: "512KB", drain_timeout: "5s" },
        providers,
        models: [{ name: "m", routes: [{ provider: "lab", model: "x", timeouts: { idle: "250ms" } }] }],
        routing: { backoff: "50ms", timeouts: { connect: "2s" } },
      },
      {},
    );
    expect(config.server.max_body).toBe(512 * 1024);
    expect(config.server.drain_timeout).toBe(5000);
    expect(config.routing.backoff).toBe(50);
    expect(config.routing.timeouts.connect).toBe(2000);
    expect(config.models[0]?.routes[0]?.timeouts).toEqual({ idle: 250 });
    expect(config.models[0]?.strategy).toBe("priority");
    // Unwritten: the route table reads it as DEFAULT_ROUTE_WEIGHT (1); ignored-weight-warnings.ts tells a written one.
    expect(config.models[0]?.routes[0]?.weight).toBeUndefined();
  });

  test('server.max_body under 1KB is refused, naming the field: 0 is not "no bound" for a body', () => {
    // `max_body: 0` was accepted (`config check` printed 0B) and every model call then got a 413.
    const refused: [number | string, string][] = [
      [0, "0B"],
      ["0", "0B"],
      ["0KB", "0B"],
      [1023, "1023B"],
      ["512B", "512B"],
    ];
    for (const [tooSmall, shown] of refused)
      expect(problems({ server: { max_body: tooSmall } })).toEqual([
        `server.max_body: must be at least 1KB, got ${shown} (0 is not "no bound": this bound cannot be lifted)`,
      ]);
    expect(parseConfig({ server: { max_body: "1KB" } }, {}).server.max_body).toBe(1024);
    expect(parseConfig({ server: { max_body: "${MAX_BODY}" } }, { MAX_BODY: "2048" }).server.max_body).toBe(
      2048,
    );
  });

  test("a duration without a unit is an error that names the field and suggests one", () => {
    const problems = () => {
      try {
        parseConfig({ routing: { timeouts: { idle: 60 } } }, {});
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems()).toEqual(['routing.timeouts.idle: invalid duration "60" (needs a unit: 60ms? 60s?)']);
  });

  test("audit.flush_ms takes a duration with its unit like every other duration, and a bare number as milliseconds", () => {
    const flushMs = (value: unknown) => parseConfig({ audit: { flush_ms: value } }, {}).audit.flush_ms;
    expect(flushMs("250ms")).toBe(250);
    expect(flushMs("2s")).toBe(2000);
    expect(flushMs(250)).toBe(250);
    expect(flushMs("250")).toBe(250);
    expect(parseConfig({}, {}).audit.flush_ms).toBe(100);
    expect(problems({ audit: { flush_ms: "11s" } })).toHaveLength(1);
    expect(problems({ audit: { flush_ms: "0ms" } })).toHaveLength(1);
    expect(problems({ audit: { flush_ms: "soon" } })).toHaveLength(1);
  });

  test("a duration under 1 ms, where 0 means none or no bound, is refused naming the field, not taken for 0", () => {
    // statement_timeout 0 is "no bound": a tiny bound written must not come out as none.
    expect(problems({ storage: { statement_timeout: "0.0001s" } })).toEqual([
      'storage.statement_timeout: invalid duration "0.0001s": it rounds to 0 ms, which this field reads as 0 (write 0 for that, or at least 1ms)',
    ]);
    expect(problems({ routing: { stream_keepalive: "0.4ms" } })).toHaveLength(1);
    // Half a millisecond and more is a millisecond; 0 as written is still 0.
    expect(parseConfig({ routing: { stream_keepalive: "0.5ms" } }).routing.stream_keepalive).toBe(1);
    expect(parseConfig({ storage: { statement_timeout: "0.0s" } }).storage.statement_timeout).toBe(0);
  });

  test("${VAR} and ${VAR:-default} are resolved before validation", () => {
    const config = parseConfig(
      {
        server: { port: 9000, drain_timeout: "${DRAIN:-3s}" },
        providers: [{ name: "openai", type: "openai", api_key: "${OPENAI_API_KEY}" }],
      },
      { OPENAI_API_KEY: "sk-test" },
    );
    expect(config.providers[0]?.api_key).toBe("sk-test");
    expect(config.server.drain_timeout).toBe(3000);
  });

  test("numbers and booleans may come from variables, which are always text", () => {
    const config = parseConfig(
      {
        server: { port: "${PORT}" },
        routing: { retries: "${RETRIES:-3}" },
        audit: { fail_open: "${FAIL_OPEN:-true}" },
        workers: { enabled: "${WORKERS}" },
      },
      { PORT: "9000", WORKERS: "false" },
    );
    expect(config.server.port).toBe(9000);
    expect(config.routing.retries).toBe(3);
    expect(config.audit.fail_open).toBe(true);
    expect(config.workers.enabled).toBe(false);
    expect(problems({ server: { port: "${PORT}" } }, { PORT: "eighty" }).at(0)).toStartWith("server.port: ");
  });

  test("a variable's text is taken wherever the same text written in the file is: YAML's True and FALSE, +8080, 0x50, 1e3", () => {
    // The file's YAML reads each of these as the boolean or number; from a variable it is text.
    const env = { ON: "True", OFF: "FALSE", PORT: "+8080", RETRIES: "0x3", CONCURRENT: "1e3", FLUSH: "0o17" };
    const config = parseConfig(
      {
        server: { port: "${PORT}", max_concurrent_requests: "${CONCURRENT}" },
        routing: { retries: "${RETRIES}" },
        audit: { fail_open: "${ON}", flush_ms: "${FLUSH}" },
        workers: { enabled: "${OFF}" },
      },
      env,
    );
    expect([
      config.server.port,
      config.server.max_concurrent_requests,
      config.routing.retries,
      config.audit.fail_open,
      config.audit.flush_ms,
      config.workers.enabled,
    ]).toEqual([8080, 1000, 3, true, 15, false]);
    // What YAML reads as text stays refused, named.
    for (const [field, value] of [
      ["workers.enabled", "yes"],
      ["workers.enabled", "tRUE"],
      ["server.port", "8_080"],
      ["server.port", "0b101"],
    ] as const) {
      const [section, key] = field.split(".") as [string, string];
      expect(problems({ [section]: { [key]: "${V}" } }, { V: value }).at(0)).toStartWith(`${field}: `);
    }
  });
});
