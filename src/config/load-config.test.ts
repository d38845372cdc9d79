// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { auditFilterSchema } from "../audit/audit-query-schema.ts";
import { keyToCreate } from "../auth/key-to-create.ts";
import { SINK_QUEUE_BYTES } from "../events/event-queue.ts";
import { postgresOptions } from "../storage/open-storage.ts";
import { postgresUrl } from "../storage/postgres/postgres-client.ts";
import { ConfigError } from "./config-error.ts";
import { configSchema } from "./config-schema.ts";
import { openFileConfigSource } from "./config-source.ts";
import { EMBEDDED_DEFAULTS, loadConfigFile, parseConfig } from "./load-config.ts";

/** The problems a document is refused with. */
function problems(document: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(document, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

const providers = [
  { name: "openai", type: "openai", base_url: "https://api.openai.com/v1" },
  { name: "lab", type: "openai", base_url: "http://10.0.0.5:8000/v1" },
];

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

describe("parseConfig: messages name the path", () => {
  test("server.trusted_proxies: addresses and CIDR blocks, IPv4 and IPv6; anything else named", () => {
    const entries = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "0.0.0.0/0"];
    expect(parseConfig({ server: { trusted_proxies: entries } }, {}).server.trusted_proxies).toEqual(entries);
    for (const entry of ["lb.internal", "10.0.0.0/33", "10.0.0.0/", "fd00::/129", "10.0.0.1/8x"])
      expect(problems({ server: { trusted_proxies: ["10.0.0.1", entry] } })).toEqual([
        `server.trusted_proxies[1]: "${entry}" is no IP address or CIDR block (e.g. 10.0.0.0/8)`,
      ]);
  });

  test("auth.jwt.default_tenant: once tenants are listed, one of them or outside every tenant", () => {
    const jwt = {
      secret: "s".repeat(40),
      issuer: "https://idp.test",
      audience: "mindgw",
      algorithms: ["HS256"],
    };
    const tenants = [{ name: "team-a" }];
    expect(problems({ tenants, auth: { jwt: { ...jwt, default_tenant: "team-b" } } })).toEqual([
      'auth.jwt.default_tenant: unknown tenant "team-b"',
    ]);
    for (const named of ["team-a", "default"])
      expect(
        parseConfig({ tenants, auth: { jwt: { ...jwt, default_tenant: named } } }).auth.jwt?.default_tenant,
      ).toBe(named);
    // Without tenants a tenant is a free label.
    expect(
      parseConfig({ auth: { jwt: { ...jwt, default_tenant: "team-b" } } }).auth.jwt?.default_tenant,
    ).toBe("team-b");
  });

  test("a route to an unknown provider", () => {
    expect(
      problems({
        providers,
        models: [
          { name: "a", routes: [{ provider: "openai", model: "x" }] },
          { name: "b", routes: [{ provider: "opnai", model: "gpt-4o-mini" }] },
        ],
      }),
    ).toEqual(['models[1].routes[0].provider: unknown provider "opnai"']);
  });

  test("a shadow to an unknown provider; `workers` is always known", () => {
    expect(
      problems({
        providers,
        models: [
          {
            name: "a",
            routes: [{ provider: "workers", model: "llama" }],
            shadow: { provider: "nope", model: "x" },
          },
        ],
      }),
    ).toEqual(['models[0].shadow.provider: unknown provider "nope"']);
  });

  test("a model's, a tenant's and an app's shadow alike: to a provider that exists, and one of another tenant's only from inside that tenant", () => {
    const shadow = (provider: string) => ({ provider, model: "x" });
    expect(
      problems({
        providers: [
          ...providers,
          { name: "own", type: "openai", base_url: "http://10.0.0.6/v1", tenant: "t1" },
        ],
        tenants: [
          { name: "t1", shadow: shadow("own") },
          { name: "t2", shadow: shadow("own") },
        ],
        models: [{ name: "a", routes: [{ provider: "openai", model: "x" }], shadow: shadow("own") }],
        apps: [
          { name: "in-t1", frontdoor: "openai", path: "/t1", tenant: "t1", shadow: shadow("own") },
          { name: "lost", frontdoor: "openai", path: "/lost", shadow: shadow("nope") },
        ],
      }),
    ).toEqual([
      'models[0].shadow.provider: provider "own" belongs to tenant "t1"; only a model, app or tenant in tenant t1 may shadow to it',
      'tenants[1].shadow.provider: provider "own" belongs to tenant "t1"; only a model, app or tenant in tenant t1 may shadow to it',
      'apps[1].shadow.provider: unknown provider "nope"',
    ]);
  });

  test("a tenant's or an app's shadow may name the models it copies; a model's may not", () => {
    const shadow = { provider: "lab", model: "x", models: ["gpt-*"] };
    const config = parseConfig(
      {
        providers,
        tenants: [{ name: "t1", shadow }],
        apps: [{ name: "a1", frontdoor: "openai", path: "/a1", shadow }],
      },
      {},
    );
    expect(config.tenants[0]?.shadow?.models).toEqual(["gpt-*"]);
    expect(config.apps[0]?.shadow?.models).toEqual(["gpt-*"]);
    expect(
      problems({ providers, models: [{ name: "m", routes: [{ provider: "lab", model: "x" }], shadow }] }),
    ).toEqual([expect.stringContaining("models[0].shadow")]);
  });

  test("duplicate provider and model names", () => {
    expect(
      problems({
        providers: [...providers, { name: "lab", type: "mock" }],
        models: [
          { name: "m", routes: [{ provider: "lab", model: "x" }] },
          { name: "m", routes: [{ provider: "lab", model: "y" }] },
        ],
      }),
    ).toEqual([
      'providers[2].name: duplicate provider "lab"',
      'models[1].name: duplicate model name "m", already models[0].name; a name reaches one entry only',
    ]);
  });

  test("a name or alias of one entry repeated by another, as name or alias, exact or glob: refused, naming both places", () => {
    // Accepted before: the model index kept the first, so the other entry was dead for that name,
    // or, with a tenant's entry first, everyone else's name answered 404 outside that tenant.
    const route = [{ provider: "lab", model: "x" }];
    const repeat = (where: string, name: string, earlier: string) =>
      `${where}: duplicate model name "${name}", already ${earlier}; a name reaches one entry only`;
    expect(
      problems({
        providers,
        tenants: [{ name: "team-a" }, { name: "team-b" }],
        models: [
          { name: "team-gpt", tenant: "team-a", aliases: ["gpt-4o"], routes: route },
          { name: "gpt-4o", routes: route },
          { name: "claude-*", routes: route },
          { name: "claude", aliases: ["claude-*", "team-gpt"], routes: route },
          // Two tenants' own entries: one name space over all tenants, as the route table is one.
          { name: "chat", tenant: "team-a", routes: route },
          { name: "chat", tenant: "team-b", routes: route },
        ],
      }),
    ).toEqual([
      repeat("models[1].name", "gpt-4o", "models[0].aliases[0]"),
      repeat("models[3].aliases[0]", "claude-*", "models[2].name"),
      repeat("models[3].aliases[1]", "team-gpt", "models[0].name"),
      repeat("models[5].name", "chat", "models[4].name"),
    ]);
  });

  test("names that only overlap are taken: a glob over another entry's name, an alias repeated within its own entry", () => {
    const route = [{ provider: "lab", model: "x" }];
    const config = parseConfig(
      {
        providers,
        tenants: [{ name: "team-a" }],
        models: [
          { name: "gpt-4o", routes: route },
          { name: "team-gpt", tenant: "team-a", aliases: ["gpt-*", "team-gpt"], routes: route },
        ],
      },
      {},
    );
    expect(config.models.map((model) => model.name)).toEqual(["gpt-4o", "team-gpt"]);
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

  test("the reserved tenant name: default is every untenanted key's", () => {
    expect(problems({ tenants: [{ name: "team-a" }, { name: "default", rpm: 1 }] })).toEqual([
      'tenants[1].name: "default" is reserved for keys outside every tenant; choose another name',
    ]);
  });

  test("the names /metrics gives what no config names (other, none, workers) are refused where they would share its series", () => {
    // A configured `other` would be counted with every unrouted model, every removed provider or
    // unlisted tenant, and no reload could drop its series (metrics/kept-labels.ts keeps them).
    const mock = (name: string) => ({ name, type: "mock" });
    expect(problems({ providers: [mock("a"), mock("other"), mock("none")] })).toEqual([
      'providers[1].name: "other" is a label value of /metrics (a provider the config no longer names); choose another name',
      'providers[2].name: "none" is a label value of /metrics (no upstream called); choose another name',
    ]);
    const model = (name: string, aliases: string[] = []) => ({
      name,
      aliases,
      routes: [{ provider: "a", model: "x" }],
    });
    expect(
      problems({
        providers: [mock("a")],
        models: [model("other"), model("workers"), model("m", ["m-1", "other"])],
      }),
    ).toEqual([
      'models[0].name: "other" is a label value of /metrics (a model no entry names); choose another name',
      'models[1].name: "workers" is a label value of /metrics (a model only workers serve); choose another name',
      'models[2].aliases[1]: "other" is a label value of /metrics (a model no entry names); choose another name',
    ]);
    expect(problems({ tenants: [{ name: "team-a" }, { name: "other" }, { name: "none" }] })).toEqual([
      'tenants[1].name: "other" is a label value of /metrics (a tenant the config does not list); choose another name',
      'tenants[2].name: "none" is a label value of /metrics (a caller with no key); choose another name',
    ]);
  });

  test("a tenant name longer than a key's tenant may be is refused, naming the path: no key could ever be created in it", () => {
    const long = "t".repeat(101);
    expect(problems({ tenants: [{ name: "team-a" }, { name: long }] })).toEqual([
      "tenants[1].name: at most 100 characters, as a key's tenant may be (keys create --tenant)",
    ]);
    const longest = "t".repeat(100);
    const config = parseConfig({ tenants: [{ name: longest }] }, {});
    const tenants = config.tenants.map((tenant) => tenant.name);
    const key = keyToCreate("local-operator", { name: "k", tenant: longest }, { now: 0, tenants });
    expect(key.tenant).toBe(longest);
  });

  test("an app name longer than the audit's ?app= filter takes is refused, naming the path: its rows could never be filtered", () => {
    const long = "a".repeat(513);
    expect(
      problems({
        apps: [
          { name: "ok", frontdoor: "openai", path: "/ok" },
          { name: long, frontdoor: "openai", path: "/long" },
        ],
      }),
    ).toEqual(["apps[1].name: at most 512 characters, as the audit's ?app= and --app filters take"]);
    const longest = "a".repeat(512);
    const config = parseConfig({ apps: [{ name: longest, frontdoor: "openai", path: "/longest" }] }, {});
    expect(auditFilterSchema.parse({ app: config.apps[0]?.name }).app).toBe(longest);
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

describe("loadConfigFile", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const file = async (text: string) => {
    dir = mkdtempSync(join(tmpdir(), "mindgw-config-"));
    const path = join(dir, "mindgw.yaml");
    await Bun.write(path, text);
    return path;
  };

  test("storage.sslrootcert (or the URL's own) missing or a folder: a config error naming the field and the path, at load", async () => {
    // It passed config check, then serve exited 1 with "Unable to access caFile path", naming neither.
    const postgres = (extra: string) =>
      `storage: { driver: postgres, url: "postgres://db:5432/mindgw${extra}", sslmode: verify-full, sslrootcert: ca.pem }\n`;
    const path = await file(postgres(""));
    const refusal = async (text: string) => {
      await Bun.write(path, text);
      return ((await loadConfigFile(path, {}).catch((error: unknown) => error)) as ConfigError).problems;
    };
    const ca = join(dirname(path), "ca.pem");
    const what = "(the PEM file of the CA that signs the server's certificate)";
    expect(await refusal(postgres(""))).toEqual([
      `${path}:1:99: storage.sslrootcert: ${ca}: no such file ${what}`,
    ]);
    expect(await refusal(postgres("?sslrootcert=/nonexistent/root.pem"))).toEqual([
      `storage.url's sslrootcert: /nonexistent/root.pem: no such file ${what}`,
    ]);
    expect(await refusal(postgres(`?sslrootcert=${tmpdir()}`))).toEqual([
      `storage.url's sslrootcert: ${tmpdir()}: a folder, not a file ${what}`,
    ]);
    await Bun.write(ca, "-----BEGIN CERTIFICATE-----\n");
    await Bun.write(path, postgres(""));
    expect((await loadConfigFile(path, {})).storage.sslrootcert).toBe(ca);
  });

  test("sslrootcert=system (libpq's system CA store, in the URL or the field) is no file: accepted as written, and it means verify-full, as libpq", async () => {
    // It was refused as "storage.url's sslrootcert: system: no such file"; Bun's client takes it.
    const inUrl = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslmode=verify-full&sslrootcert=system' }\n",
    );
    expect((await loadConfigFile(inUrl, {})).storage.url).toContain("sslrootcert=system");
    // Without a sslmode it connected with prefer: a certificate not checked, or no TLS at all.
    const inField = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslrootcert: system }\n",
    );
    const storage = (await loadConfigFile(inField, {})).storage;
    expect(storage.sslrootcert).toBe("system");
    expect(postgresUrl(postgresOptions(storage))).toBe(
      "postgres://db:5432/mindgw?sslmode=verify-full&sslrootcert=system",
    );
    const urlOnly = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslrootcert=system' }\n",
    );
    expect(postgresUrl(postgresOptions((await loadConfigFile(urlOnly, {})).storage))).toBe(
      "postgres://db:5432/mindgw?sslrootcert=system&sslmode=verify-full",
    );
    const plain = await file("storage: { driver: postgres, url: 'postgres://db:5432/mindgw' }\n");
    expect(postgresUrl(postgresOptions((await loadConfigFile(plain, {})).storage))).toBe(
      "postgres://db:5432/mindgw?sslmode=prefer",
    );
  });

  test("sslrootcert=system with a weaker sslmode is refused, as libpq refuses it", async () => {
    const refused = async (text: string) =>
      (
        (await loadConfigFile(await file(text), {}).catch((error: unknown) => error)) as ConfigError
      ).problems.map((problem) => problem.replace(/^.*mindgw\.yaml:\d+:\d+: /, ""));
    const why =
      "with sslrootcert system: the system's CA store is used with verify-full only, as libpq refuses a weaker mode (write verify-full, or leave sslmode out)";
    expect(
      await refused(
        "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslmode: prefer, sslrootcert: system }\n",
      ),
    ).toEqual([`storage.sslmode: prefer ${why}`]);
    expect(
      await refused(
        "storage: { driver: postgres, url: 'postgres://db:5432/mindgw?sslmode=verify-ca&sslrootcert=system' }\n",
      ),
    ).toEqual([`storage.url's sslmode: verify-ca ${why}`]);
  });

  test("a missing storage.sslrootcert is said with the config's other problems, not after them", async () => {
    const path = await file(
      "storage: { driver: postgres, url: 'postgres://db:5432/mindgw', sslrootcert: ca.pem }\nmodels: [{ name: m, routes: [{ provider: opnai, model: x }] }]\n",
    );
    const refused = (await loadConfigFile(path, {}).catch((error: unknown) => error)) as ConfigError;
    // In the order the file writes them: the store's line first.
    expect(refused.problems).toEqual([
      `${path}:1:77: storage.sslrootcert: ${join(dirname(path), "ca.pem")}: no such file (the PEM file of the CA that signs the server's certificate)`,
      `${path}:2:42: models[0].routes[0].provider: unknown provider "opnai"`,
    ]);
  });

  test("reads YAML with interpolation", async () => {
    const path = await file("server:\n  port: ${PORT:-9090}\nproviders:\n  - { name: demo, type: mock }\n");
    const config = await loadConfigFile(path, {});
    expect(config.server.port).toBe(9090);
    expect(config.providers[0]?.name).toBe("demo");
  });

  test("a missing file and broken YAML are config errors that say so", async () => {
    const missing = await loadConfigFile("/nonexistent/mindgw.yaml", {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toContain("no such file");
    // `mindgw serve -c` reads through the watched source: the same words.
    for (const load of [loadConfigFile, openFileConfigSource]) {
      const folder = await load(tmpdir(), {}).catch((e: unknown) => e);
      expect((folder as ConfigError).message).toBe(`${tmpdir()}: a folder, not a config file`);
    }
    const path = await file("models: [ { name: m\n  : :\n");
    const broken = await loadConfigFile(path, {}).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ConfigError);
    expect((broken as ConfigError).message).toContain("not valid YAML");
    // Placed as a refused field is, each error on a line of its own: no excerpt, no "at line" words.
    for (const problem of (broken as ConfigError).problems)
      expect(problem).toMatch(
        new RegExp(`^${RegExp.escape(path)}:\\d+:\\d+: not valid YAML: [^\\n]+[^:\\n]$`),
      );
    expect((broken as ConfigError).message).not.toContain("at line");
  });

  test("a device or a pipe is read for what it holds: -c /dev/null is an empty file, not a missing one", async () => {
    const empty = await loadConfigFile("/dev/null", {}).catch((e: unknown) => e);
    expect((empty as ConfigError).message).toBe("/dev/null: the file is empty");
    // A file that is there and cannot be read is a config error naming it (exit 2), not a raw EACCES.
    const notAFolder = await loadConfigFile("/dev/null/config.yaml", {}).catch((e: unknown) => e);
    expect((notAFolder as ConfigError).message).toBe("/dev/null/config.yaml: no such file");
  });

  test("a device or a pipe that never ends (-c /dev/zero) is refused past 8 MiB, not read until memory runs out", async () => {
    const endless = await loadConfigFile("/dev/zero", {}).catch((e: unknown) => e);
    expect(endless).toBeInstanceOf(ConfigError);
    expect((endless as ConfigError).message).toBe(
      "/dev/zero: not a file, and it gave more than 8 MiB: not a config file",
    );
  });

  test("relative storage paths resolve from the config file's folder, not the working directory", async () => {
    const path = await file("storage: { path: ./state/gw.db }\n");
    expect((await loadConfigFile(path, {})).storage.path).toBe(join(dirname(path), "state/gw.db"));
    const defaults = await file("server: {}\n");
    expect((await loadConfigFile(defaults, {})).storage.path).toBe(join(dirname(defaults), "data/mindgw.db"));
    const absolute = await file("storage: { path: /var/lib/mindgw/gw.db }\n");
    expect((await loadConfigFile(absolute, {})).storage.path).toBe("/var/lib/mindgw/gw.db");
  });

  test("a provider's relative credential files resolve from the config file's folder too: service_account, entra.federated_token_file", async () => {
    const path = await file(
      [
        "providers:",
        "  - { name: v, type: vertex, project: p, location: us-central1, service_account: ./keys/sa.json }",
        '  - { name: i, type: vertex, project: p, location: us-central1, service_account: \'{"type": "service_account"}\' }',
        "  - { name: az, type: azure, base_url: 'https://r.openai.azure.com', api_version: v1,",
        "      entra: { tenant_id: t, client_id: c, federated_token_file: token } }",
        "",
      ].join("\n"),
    );
    const [vertex, inline, azure] = (await loadConfigFile(path, {})).providers;
    expect(vertex?.service_account).toBe(join(dirname(path), "keys/sa.json"));
    // Inline JSON is no path.
    expect(inline?.service_account).toBe('{"type": "service_account"}');
    expect(azure?.entra?.federated_token_file).toBe(join(dirname(path), "token"));
  });

  test("an empty file, or one that is not a mapping, is rejected (a deploy gone wrong, not 'no routes')", async () => {
    for (const text of ["", "  \n\n", "# only a comment\n", "just text\n", "- a\n- b\n"]) {
      await expect(loadConfigFile(await file(text), {})).rejects.toBeInstanceOf(ConfigError);
    }
    // A file of only defaults is still a valid config, when it says so.
    expect((await loadConfigFile(await file("server: {}\n"), {})).server.port).toBe(8080);
  });
});

describe("URL fields", () => {
  test("storage.url: a PostgreSQL URL, refused at load naming the field and never quoting it (its password)", () => {
    const stored = (url: string) => problems({ storage: { driver: "postgres", url } });
    // libpq's keyword/value form: Bun's client takes URLs only, and serve failed with "Invalid URL".
    const keywords = stored("host=db user=gw password=hunter2");
    expect(keywords).toEqual(["storage.url: not a PostgreSQL URL (postgres://user:pass@host:5432/db)"]);
    // Bun's client picks its protocol from the scheme: mysql:// would speak MySQL to the store.
    expect(stored("mysql://gw:hunter2@db/mindgw")).toEqual(keywords);
    expect(stored("http://gw:hunter2@db/mindgw")).toEqual(keywords);
    for (const fine of ["postgres://gw:pw@db:5432/mindgw", "postgresql://db/mindgw?sslmode=require"])
      expect(parseConfig({ storage: { driver: "postgres", url: fine } }).storage.url).toBe(fine);
    // `${DATABASE_URL:-}` on a SQLite node: no URL, as before.
    expect(parseConfig({ storage: { url: "" } }).storage.driver).toBe("sqlite");
    expect(problems({ storage: { driver: "postgres", url: "" } })).toEqual([
      "storage.url: required with driver: postgres (postgres://user:pass@host:5432/db)",
    ]);
  });

  test("cluster.redis_url and events.redis_stream.url: a scheme Bun's Redis client speaks, refused at load naming the field", () => {
    const cluster = (redis_url: string) => ({
      storage: { driver: "postgres", url: "postgres://db/mindgw" },
      cluster: { redis_url, advertise_url: "http://10.0.0.7:8080", secret: "0123456789abcdef" },
    });
    // Bun's client throws at start on any other scheme: config check said valid, serve a stack trace.
    const refused =
      "not a Redis URL (redis://, rediss://, valkey://, valkeys://, redis+tls://, redis+unix://, redis+tls+unix://)";
    expect(problems(cluster("http://u:hunter2@r:6379"))).toEqual([`cluster.redis_url: ${refused}`]);
    expect(problems({ events: { redis_stream: { url: "https://r:6379" } } })).toEqual([
      `events.redis_stream.url: ${refused}`,
    ]);
    for (const fine of [
      "redis://:pw@r:6379/2",
      "rediss://r",
      "valkey://r:6380",
      "redis+unix:///run/redis.sock",
    ])
      expect(parseConfig(cluster(fine)).cluster?.redis_url).toBe(fine);
    // No scheme: Bun reads it as valkey://, and so is it kept, its password redacted as any URL's.
    expect(parseConfig(cluster("default:pw@r:6379")).cluster?.redis_url).toBe("valkey://default:pw@r:6379");
  });

  test("a URL with an empty port is refused, naming the field", () => {
    const urls = (base_url: string) => {
      const document = { providers: [{ name: "p", type: "openai", base_url }] };
      return configSchema.safeParse(document).success ? [] : problems(document);
    };
    expect(urls("http://127.0.0.1:/v1")).toEqual([
      "providers[0].base_url: the port after ':' is empty (write the port, or leave out the ':')",
    ]);
    for (const empty of ["http://127.0.0.1:", "http://user:pw@[::1]:/v1", "https://h:?q=1"])
      expect(urls(empty)).toHaveLength(1);
    for (const fine of [
      "http://127.0.0.1:8000/v1",
      "http://user:pw@h/v1",
      "https://h/a:b",
      "http://[::1]/v1",
    ])
      expect(urls(fine)).toEqual([]);
    expect(
      problems({ events: { webhooks: [{ url: "https://hooks.test:/x" }] } }).some((p) =>
        p.startsWith("events.webhooks[0].url: the port after ':' is empty"),
      ),
    ).toBe(true);
  });
});
