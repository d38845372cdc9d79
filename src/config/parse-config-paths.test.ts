// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { SINK_QUEUE_BYTES } from "../events/event-queue.ts";
import { configProblems as problems } from "../testing/config-problems.ts";
import { parseConfig } from "./load-config.ts";

describe("parseConfig: messages name the path", () => {
  test("server.trusted_proxies: addresses and CIDR blocks, IPv4 and IPv6; anything else named", () => {
    const entries = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "0.0.0.0/0"];
    expect(parseConfig({ server: { trusted_proxies: entries } }, {}).server.trusted_proxies).toEqual(entries);
    for (const entry of ["lb.internal", "10.0.0.0/33", "10.0.0.0/", "fd00::/129", "10.0.0.1/8x"])
      expect(problems({ server: { trusted_proxies: ["10.0.0.1", entry] } })).toEqual([
        `server.trusted_proxies[1]: "${entry}" is no IP address or CIDR block (e.g. 10.0.0.0/8)`,
      ]);
  });
  test("bad units, types and enums, all reported at once", () => {
    const found = problems({
      server: { max_body: "huge", port: 70000 },
      routing: { timeouts: { connect: "fast" } },
      providers: [{ name: "x", type: "opnai" }],
      models: [{ name: "m", strategy: "random", routes: [] }],
    });
    expect(found).toContain('server.max_body: invalid size "huge" (use e.g. 512KB, 10MB)');
    expect(found).toContain(
      'routing.timeouts.connect: invalid duration "fast" (use e.g. 500ms, 30s, 10m, 30d)',
    );
    expect(found.some((p) => p.startsWith("server.port: "))).toBe(true);
    expect(found.some((p) => p.startsWith("providers[0].type: "))).toBe(true);
    expect(found.some((p) => p.startsWith("models[0].strategy: "))).toBe(true);
    expect(found.some((p) => p.startsWith("models[0].routes: "))).toBe(true);
  });

  test("every unset variable is named at once, each by its path: a deploy missing three secrets hears of three", () => {
    expect(
      problems(
        {
          providers: [
            { name: "openai", type: "openai", api_key: "${OPENAI_API_KEY}" },
            { name: "anthropic", type: "anthropic", api_key: "${ANTHROPIC_API_KEY}" },
          ],
          storage: { driver: "postgres", url: "${DATABASE_URL}" },
          server: { port: "${PORT:-8080}" },
        },
        { ANTHROPIC_API_KEY: "" },
      ),
    ).toEqual([
      "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
      "providers[1].api_key: environment variable ANTHROPIC_API_KEY is empty (write ${ANTHROPIC_API_KEY:-} where empty is meant)",
      "storage.url: environment variable DATABASE_URL is not set",
    ]);
  });

  test("a misspelt field is named by its own path", () => {
    expect(problems({ server: { prot: 8080 } })).toEqual(["server.prot: unknown field"]);
    expect(problems({ modles: [] })).toEqual(["modles: unknown field"]);
  });

  test("a base_url that is not http(s)", () => {
    const found = problems({ providers: [{ name: "x", type: "openai", base_url: "file:///etc/passwd" }] });
    expect(found.some((p) => p.startsWith("providers[0].base_url: "))).toBe(true);
  });

  test("the reserved provider name and postgres without a url", () => {
    expect(problems({ providers: [{ name: "workers", type: "mock" }] })).toEqual([
      'providers[0].name: "workers" is reserved for connected workers',
    ]);
    expect(problems({ storage: { driver: "postgres" } })).toEqual([
      "storage.url: required with driver: postgres (postgres://user:pass@host:5432/db)",
    ]);
    expect(parseConfig({ storage: { driver: "postgres", url: "postgres://db/mindgw" } }).storage.driver).toBe(
      "postgres",
    );
  });

  test("cluster: on SQLite, the default storage, is refused; on PostgreSQL it is taken", () => {
    const cluster = {
      redis_url: "redis://10.0.0.5:6379",
      advertise_url: "http://10.0.0.7:8080",
      secret: "0123456789abcdef",
    };
    const refusal =
      "cluster: needs storage.driver: postgres, which every node shares (SQLite is one node's own file)";
    expect(problems({ cluster })).toEqual([refusal]);
    expect(problems({ cluster, storage: { driver: "sqlite", path: "/var/lib/mindgw/mindgw.db" } })).toEqual([
      refusal,
    ]);
    const shared = parseConfig({ cluster, storage: { driver: "postgres", url: "postgres://db/mindgw" } });
    expect(shared.cluster?.advertise_url).toBe("http://10.0.0.7:8080");
  });

  test("events to a Redis stream: on its own url on a single node, else on the cluster's Redis", () => {
    expect(problems({ events: { redis_stream: { stream: "s" } } })).toEqual([
      "events.redis_stream.url: needed without cluster: (whose cluster.redis_url it uses otherwise)",
    ]);
    const single = parseConfig({ events: { redis_stream: { url: "redis://10.0.0.5:6379" } } });
    expect(single.events.redis_stream?.url).toBe("redis://10.0.0.5:6379");
    expect(single.storage.driver).toBe("sqlite");
    const clustered = parseConfig({
      storage: { driver: "postgres", url: "postgres://db/mindgw" },
      cluster: {
        redis_url: "redis://10.0.0.5:6379",
        advertise_url: "http://10.0.0.7:8080",
        secret: "0123456789abcdef",
      },
      events: { redis_stream: {} },
    });
    expect(clustered.events.redis_stream?.url).toBeUndefined();
  });

  test("a sink's byte bound by default is the sinks' own (one constant: 32MB)", () => {
    const events = parseConfig({
      events: {
        webhooks: [{ url: "https://hooks.example.com/in", secret: "0123456789abcdef" }],
        redis_stream: { url: "redis://10.0.0.5:6379" },
      },
    }).events;
    expect([events.webhooks[0]?.max_queue_bytes, events.redis_stream?.max_queue_bytes]).toEqual([
      SINK_QUEUE_BYTES,
      SINK_QUEUE_BYTES,
    ]);
    expect(SINK_QUEUE_BYTES).toBe(32 * 1024 * 1024);
  });
  test("a credential a variable put in the wrong field is not quoted back: the message says where and which variable, quoting the reference, not the key", () => {
    // OPENAI_API_KEY in place of a duration or a size (a variable misnamed in a deploy template).
    const env = { K: "sk-proj-Qm7Zt2Xr9Lb4Wn8Kc3Vd6Hf1Jg5Ps0Ty", A: "AKIAIOSFODNN7EXAMPLE" };
    expect(problems({ routing: { backoff: "${K}" }, server: { max_body: "${K}" } }, env)).toEqual([
      'server.max_body: invalid size "${K}" (use e.g. 512KB, 10MB) (from ${K})',
      'routing.backoff: invalid duration "${K}" (use e.g. 500ms, 30s, 10m, 30d) (from ${K})',
    ]);
    expect(problems({ models: [{ name: "m", routes: [{ provider: "${A}", model: "x" }] }] }, env)).toEqual([
      'models[0].routes[0].provider: unknown provider "${A}" (from ${A})',
    ]);
  });

  test("an unset variable names where it was used", () => {
    expect(problems({ providers: [{ name: "o", type: "openai", api_key: "${OPENAI_API_KEY}" }] })).toEqual([
      "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
    ]);
  });
});
