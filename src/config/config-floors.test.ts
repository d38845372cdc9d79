import { describe, expect, test } from "bun:test";
import { ConfigError } from "./config-error.ts";
import { parseConfig } from "./load-config.ts";

// Bounds below which nothing works are refused at load, naming the field and the least it may be,
// rather than taken and then breaking every request (or connection) they bound.

/** The problems a document is refused with. */
function problems(document: unknown): readonly string[] {
  try {
    parseConfig(document, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

describe("server.idle_timeout: at least 5s", () => {
  // Bun counts an idle bound in 4 s ticks: one of 4 s or less ran out at the next tick, however
  // recently the socket was used (a response written to every 100 ms was cut at 4 s, its last
  // bytes with it), and `1s` was accepted.
  test.each(["1s", "4s", "4999ms"])("%s is refused, naming the field and the floor", (tooShort) => {
    expect(problems({ server: { idle_timeout: tooShort } })).toEqual([
      "server.idle_timeout: at least 5s: Bun counts it in 4 s ticks, and a bound of 4 s or less closes a connection at the next tick, even one being written to",
    ]);
  });

  test("5s is taken, and 255s, Bun's most", () => {
    expect(parseConfig({ server: { idle_timeout: "5s" } }, {}).server.idle_timeout).toBe(5000);
    expect(parseConfig({ server: { idle_timeout: "255s" } }, {}).server.idle_timeout).toBe(255_000);
    expect(problems({ server: { idle_timeout: "256s" } })).toEqual(["server.idle_timeout: at most 255s"]);
  });
});

describe("sizes below which nothing passes: at least 64KB each, as server.max_body is at least 1KB", () => {
  // Each was taken at 0 (`config check` printed 0B), and then: every whole answer a 502
  // (max_upstream_body), every stream whose line came in two reads cut (max_sse_line), every
  // worker closed at its register, 1009 (max_message), every event dropped (max_queue_bytes).
  const hook = { url: "https://hooks.example.com/in", secret: "0123456789abcdef" };
  const FIELDS: readonly [path: string, document: (value: unknown) => object][] = [
    ["routing.max_sse_line", (value) => ({ routing: { max_sse_line: value } })],
    ["routing.max_upstream_body", (value) => ({ routing: { max_upstream_body: value } })],
    ["workers.max_message", (value) => ({ workers: { max_message: value } })],
    [
      "events.webhooks[0].max_queue_bytes",
      (value) => ({ events: { webhooks: [{ ...hook, max_queue_bytes: value }] } }),
    ],
    [
      "events.redis_stream.max_queue_bytes",
      (value) => ({ events: { redis_stream: { url: "redis://10.0.0.5:6379", max_queue_bytes: value } } }),
    ],
  ];

  test.each(FIELDS)(
    "%s: 0 and anything under 64KB are refused, naming the field and the floor",
    (path, document) => {
      for (const [tooSmall, shown] of [
        [0, "0B"],
        ["0KB", "0B"],
        ["4KB", "4KB"],
        [64 * 1024 - 1, "65535B"],
      ] as const)
        expect(problems(document(tooSmall))).toEqual([
          `${path}: must be at least 64KB, got ${shown} (0 is not "no bound": this bound cannot be lifted)`,
        ]);
    },
  );

  test.each(FIELDS)("%s: 64KB is taken", (_, document) => {
    expect(() => parseConfig(document("64KB"), {})).not.toThrow();
  });

  test("shadow.max_answer may be 0: a pair then keeps none of an answer's text (answers are compared whole)", () => {
    expect(parseConfig({ shadow: { max_answer: 0 } }, {}).shadow.max_answer).toBe(0);
  });
});

describe("durations that 0 would break are refused at 0, naming the field, what 0 would do and what to write", () => {
  // Each was taken at 0, silently: audit.retention 0 deleted every audit row within 250 ms of its
  // writing (storage.responses_retention and shadow.retention alike), routing.timeouts.first_byte
  // 0 answered every call 504 "(0 ms)", workers.heartbeat_timeout 0 let no worker connect,
  // cluster.heartbeat 0 left the node out of the directory (Redis refuses a 0 ms expiry). Elsewhere
  // 0 is "no bound", as operators read it: these say it is not.
  const KEEP = '0 is not "keep forever"';
  const BOUND = '0 is not "no bound" here';
  const cluster = {
    redis_url: "redis://10.0.0.5:6379",
    advertise_url: "http://10.0.0.7:8080",
    secret: "0123456789abcdef",
  };
  const postgres = { driver: "postgres", url: "postgres://db/mindgw" };
  const jwt = {
    secret: "s".repeat(32),
    issuer: "https://idp.test",
    audience: "mindgw",
    algorithms: ["HS256"],
  };
  type Field = [path: string, document: (zero: unknown) => object, atZero: string, fallback: string];
  const FIELDS: readonly Field[] = [
    [
      "audit.retention",
      (zero) => ({ audit: { retention: zero } }),
      `every row would be deleted within a second of being written; ${KEEP}`,
      "31d",
    ],
    [
      "storage.responses_retention",
      (zero) => ({ storage: { responses_retention: zero } }),
      `every stored response would be deleted as soon as it is written; ${KEEP}`,
      "30d",
    ],
    [
      "shadow.retention",
      (zero) => ({ shadow: { retention: zero } }),
      `every pair would be deleted as soon as it is recorded; ${KEEP}`,
      "30d",
    ],
    [
      "shadow.timeout",
      (zero) => ({ shadow: { timeout: zero } }),
      `every copy would be cut off at once; ${BOUND}`,
      "60s",
    ],
    ...[
      ["connect", "10s"],
      ["first_byte", "120s"],
      ["idle", "60s"],
    ].map(
      ([phase = "", fallback = ""]): Field => [
        `routing.timeouts.${phase}`,
        (zero) => ({ routing: { timeouts: { [phase]: zero } } }),
        `every attempt would time out at once (a 504); ${BOUND}`,
        fallback,
      ],
    ),
    [
      "workers.heartbeat_timeout",
      (zero) => ({ workers: { heartbeat_timeout: zero } }),
      "every worker would be dropped as silent, so none could connect",
      "30s",
    ],
    [
      "cluster.heartbeat",
      (zero) => ({ storage: postgres, cluster: { ...cluster, heartbeat: zero } }),
      "Redis refuses an entry that lasts 0 ms, so the node would never join",
      "1s",
    ],
    [
      "cluster.redis_timeout",
      (zero) => ({ storage: postgres, cluster: { ...cluster, redis_timeout: zero } }),
      `every Redis call would fail at once; ${BOUND}`,
      "2s",
    ],
    [
      "storage.connect_timeout",
      (zero) => ({ storage: { ...postgres, connect_timeout: zero } }),
      `no connection could be opened; ${BOUND}`,
      "5s",
    ],
    [
      "server.body_timeout",
      (zero) => ({ server: { body_timeout: zero } }),
      `a body that takes more than one read would be refused (408); ${BOUND}`,
      "30s",
    ],
    [
      "auth.jwt.jwks_timeout",
      (zero) => ({ auth: { jwt: { ...jwt, jwks_timeout: zero } } }),
      `every JWKS fetch would be cut off, and no JWT let in; ${BOUND}`,
      "5s",
    ],
  ];

  test.each(FIELDS)(
    "%s: 0, 0s and 0ms are refused; 0.1ms too, said to round to 0",
    (path, document, atZero, fallback) => {
      for (const zero of [0, "0", "0s", "0ms"])
        expect(problems(document(zero))).toEqual([
          `${path}: must be more than 0: ${atZero}; leave it out for its default (${fallback}), or write a longer duration`,
        ]);
      // Not 0 as written: it said "must be more than 0" alone.
      expect(problems(document("0.1ms"))).toEqual([
        `${path}: must be more than 0, and "0.1ms" rounds to 0 ms: ${atZero}; leave it out for its default (${fallback}), or write a longer duration`,
      ]);
    },
  );

  test.each(FIELDS)("%s: 1ms is taken", (_, document) => {
    expect(() => parseConfig(document("1ms"), {})).not.toThrow();
  });

  test("a provider's or a route's own attempt timeout at 0 is refused too, pointing to the bound it would otherwise take", () => {
    const refusal = (path: string) =>
      `${path}: must be more than 0: every attempt would time out at once (a 504); ${BOUND}; leave it out for the provider's or routing.timeouts' bound`;
    expect(
      problems({
        providers: [
          { name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", timeouts: { first_byte: 0 } },
        ],
        models: [{ name: "m", routes: [{ provider: "up", model: "x", timeouts: { idle: "0s" } }] }],
      }),
    ).toEqual([refusal("providers[0].timeouts.first_byte"), refusal("models[0].routes[0].timeouts.idle")]);
  });

  test("where 0 means none or no bound it is still taken: keep-alive, backoff, drain, statement timeout, clock tolerance, breaker cooldown, webhook flush", () => {
    const config = parseConfig(
      {
        server: { drain_timeout: 0 },
        routing: { stream_keepalive: "0s", backoff: 0, circuit_breaker: { cooldown: 0 } },
        storage: { ...postgres, statement_timeout: 0 },
        auth: { jwt: { ...jwt, clock_tolerance: 0 } },
        events: { webhooks: [{ url: "https://hooks.example.com/in", secret: "0123456789abcdef", flush: 0 }] },
      },
      {},
    );
    expect(config.routing.stream_keepalive).toBe(0);
    expect(config.storage.statement_timeout).toBe(0);
    expect(config.routing.circuit_breaker.cooldown).toBe(0);
    expect(config.auth.jwt?.clock_tolerance).toBe(0);
    expect(config.events.webhooks[0]?.flush).toBe(0);
  });
});

describe("auth.jwt's JWKS refetch bounds: at least 1s each, naming the field and the floor", () => {
  // Each is the only bound on how often tokens can make the gateway fetch the JWKS: one fetch at a
  // time bounds how many run, not how often. `jwks_cooldown: 1ms` (0 alone was refused) let a flood
  // of tokens naming unknown kids refetch it back to back, and `jwks_cache_max_age: 0` let any
  // token, forged or not, start a refresh behind every request: the issuer asked as fast as it
  // answers, by whoever sends tokens.
  const jwt = { jwks_url: "https://idp.test/jwks.json", issuer: "https://idp.test", audience: "mindgw" };
  const FIELDS = [
    [
      "jwks_cooldown",
      "at least 1s: the least time between JWKS fetches for a kid the set lacks; below it a flood of tokens naming unknown kids refetches the JWKS back to back (no guard against kid floods)",
    ],
    [
      "jwks_cache_max_age",
      "at least 1s: a set older than it is refetched behind the next request, a forged token's too; below it any flood of tokens refetches the JWKS back to back",
    ],
  ] as const;

  test.each(FIELDS)("auth.jwt.%s: 0, 1ms and 999ms are refused", (field, floor) => {
    for (const tooShort of [0, "0s", "0.1ms", "1ms", "999ms"])
      expect(problems({ auth: { jwt: { ...jwt, algorithms: ["RS256"], [field]: tooShort } } })).toEqual([
        `auth.jwt.${field}: ${floor}`,
      ]);
  });

  test.each(FIELDS)("auth.jwt.%s: 1s is taken", (field) => {
    const config = parseConfig({ auth: { jwt: { ...jwt, algorithms: ["RS256"], [field]: "1s" } } }, {});
    expect(config.auth.jwt?.[field]).toBe(1000);
  });
});
