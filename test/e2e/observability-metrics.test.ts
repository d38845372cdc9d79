import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openRawWorker } from "../../src/workers/testing/raw-worker.ts";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, type Sample, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { createKey } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// /metrics through the compiled binary after known traffic: exact counters, exact bucket counts,
// bounded labels; admin role on the main port, no credential on `metrics.listen`.

let fake: FakeUpstream;
let gw: GatewayProcess;
let admin: string;
let user: string;
let limited: string;
let scrapeUrl: string;

const config = (fakeUrl: string, extra: object = {}) => ({
  metrics: { listen: "127.0.0.1:0" },
  providers: [
    ...["fake", "fake-a", "fake-b", "fake-g", "fake-oa"].map((name) => ({
      name,
      type: "openai",
      base_url: `${fakeUrl}/v1`,
    })),
    { name: "fake-an", type: "anthropic", base_url: fakeUrl },
  ],
  models: [
    { name: "m1", routes: [{ provider: "fake", model: "fake-model" }] },
    { name: "m-retry", routes: [{ provider: "fake", model: "fake-model" }] },
    {
      name: "m-fo",
      routes: [
        { provider: "fake-a", model: "fake-model" },
        { provider: "fake-b", model: "fake-model" },
      ],
    },
    { name: "glob-*", routes: [{ provider: "fake-g", model: "*" }] },
    // Only for the calls never sent upstream (the last describe): an OpenAI-type route first.
    {
      name: "m-count",
      routes: [
        { provider: "fake-oa", model: "fake-model" },
        { provider: "fake-an", model: "claude-fake" },
      ],
    },
    {
      name: "m-oa",
      routes: [{ provider: "fake-oa", model: "fake-model" }],
      // Never sampled: its provider's copy series are there all the same, at 0.
      shadow: { provider: "fake-an", model: "claude-fake", sample: 0 },
    },
  ],
  prices: { m1: { input_per_mtok: 1_000_000, output_per_mtok: 0 } },
  tenants: [{ name: "team-a", budget: { usd: 500, per: "month" } }],
  routing: { retries: 1, backoff: "5ms", circuit_breaker: { failures: 2, cooldown: "10m" } },
  ...extra,
});

const chat = (key: string, model: string, extra: object = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(key),
    body: chatBody(model, "hello there", extra),
  });

const scrape = async (): Promise<Sample[]> => {
  const res = await fetch(scrapeUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parsePrometheus(await res.text());
};

const fx = gatewayFixture({ fakeRoutes: false, config: (_fakeUrl, { fake }) => config(fake.url) });

beforeAll(async () => {
  ({ fake, gw } = fx);
  admin = gw.adminKey ?? "";
  user = await createKey(gw.url, admin, { name: "user", role: "user", models: ["*"] });
  limited = await createKey(gw.url, admin, { name: "limited", role: "user", models: ["*"], rpm: 1 });
  scrapeUrl =
    (await waitFor("the metrics listener", () => gw.stderr.match(/metrics listening url=(\S+)/)))[1] ?? "";

  // The known traffic, one request at a time so the fake's queue applies in order.
  for (let i = 0; i < 3; i++) expect((await chat(user, "m1")).status).toBe(200);
  const stream = await chat(user, "m1", { stream: true, stream_options: { include_usage: true } });
  await stream.text();
  expect(stream.status).toBe(200);
  expect((await chat(user, "no-such-model")).status).toBe(404);
  expect((await chat("mgw_wrongwrongwrongwrongwrong", "m1")).status).toBe(401);
  expect((await chat(limited, "m1")).status).toBe(200);
  expect((await chat(limited, "m1")).status).toBe(429);
  fake.enqueue({ status: 500 });
  expect((await chat(user, "m-retry")).status).toBe(200);
  fake.enqueue({ status: 500 }, { status: 500 });
  expect((await chat(user, "m-fo")).status).toBe(200);
  // Names a client makes up under a glob entry: one answered, one refused by a 429 of the
  // upstream's own (relayed, and no count towards its breaker), one failing twice (its breaker opens).
  expect((await chat(user, "glob-made-up-1")).status).toBe(200);
  // Retry-After 0: retried on its route (a longer one would send it on at once, RELIABILITY.md).
  fake.enqueue({ status: 429, retryAfter: 0 }, { status: 429, retryAfter: 0 });
  expect((await chat(user, "glob-made-up-2")).status).toBe(429);
  fake.enqueue({ status: 500 }, { status: 500 });
  expect((await chat(user, "glob-made-up-3")).status).toBe(500);
}, 60_000);

describe("metrics: /metrics after known traffic", () => {
  test("requests by front door, model, provider and status class are exact; unknown models are `other`", async () => {
    const s = await scrape();
    const requests = (labels: Record<string, string>) => sampleValue(s, "mindgw_requests_total", labels);
    const chatLabels = { front_door: "chat", model: "m1", provider: "fake", status_class: "2xx" };
    expect(requests(chatLabels)).toBe(5);
    // The unknown model (404) and the wrong key (401: refused before the body is read).
    expect(requests({ front_door: "chat", model: "other", provider: "none", status_class: "4xx" })).toBe(2);
    // The rate-limited request.
    expect(requests({ front_door: "chat", model: "m1", provider: "none", status_class: "4xx" })).toBe(1);
    expect(requests({ front_door: "chat", model: "m-retry", provider: "fake", status_class: "2xx" })).toBe(1);
    expect(requests({ front_door: "chat", model: "m-fo", provider: "fake-b", status_class: "2xx" })).toBe(1);
    // Nothing names a key, a request or the unknown model.
    const text = s.map((x) => JSON.stringify(x.labels)).join("\n");
    for (const banned of ["no-such-model", "user", "limited", "req_"])
      expect(text).not.toContain(`"${banned}`);
  });

  test("series whose labels the config bounds are there at 0 before their first event, each once", async () => {
    const s = await scrape();
    const requests = (labels: Record<string, string>) =>
      sampleValue(s, "mindgw_requests_total", { ...labels, status_class: "5xx" });
    // Every configured model's 5xx on every front door that calls a model, by its routes'
    // providers and `none` (refused before any route): increase() counts the first failure.
    expect(requests({ front_door: "chat", model: "m1", provider: "fake" })).toBe(0);
    expect(requests({ front_door: "messages", model: "m-fo", provider: "fake-b" })).toBe(0);
    expect(requests({ front_door: "embeddings", model: "m-oa", provider: "none" })).toBe(0);
    expect(requests({ front_door: "responses", model: "m-count", provider: "fake-an" })).toBe(0);
    // A made-up name under the glob failed once: the series made at 0 counted it, no second one.
    expect(requests({ front_door: "chat", model: "glob-*", provider: "fake-g" })).toBe(1);
    // A model no config names is no label: nothing made for it before its traffic.
    expect(requests({ front_door: "chat", model: "other", provider: "none" })).toBeUndefined();
    const lines = s.filter((x) => x.name === "mindgw_requests_total").map((x) => JSON.stringify(x.labels));
    expect(new Set(lines).size).toBe(lines.length);
    // Spend: each configured model's and tenant's (and `default`'s), the shadow routes' models'.
    expect(sampleValue(s, "mindgw_cost_usd_total", { model: "m-fo" })).toBe(0);
    expect(sampleValue(s, "mindgw_tenant_cost_usd_total", { tenant: "team-a" })).toBe(0);
    expect(sampleValue(s, "mindgw_tenant_cost_usd_total", { tenant: "default" })).toBeGreaterThan(0);
    expect(sampleValue(s, "mindgw_shadow_cost_usd_total", { model: "m-oa" })).toBe(0);
    // A shadow provider's copies, by how they end: ok and the failures any upstream may cause.
    for (const outcome of ["ok", "upstream_error", "upstream_timeout", "unavailable"])
      expect(sampleValue(s, "mindgw_shadow_copies_total", { provider: "fake-an", outcome })).toBe(0);
  });

  test("duration, TTFT and token histograms have exact counts and bucket counts", async () => {
    const s = await scrape();
    const m1 = { front_door: "chat", model: "m1" };
    expect(
      sampleValue(s, "gen_ai_server_request_duration_seconds_count", { ...m1, status_class: "2xx" }),
    ).toBe(5);
    expect(
      sampleValue(s, "gen_ai_server_request_duration_seconds_bucket", {
        ...m1,
        status_class: "2xx",
        le: "+Inf",
      }),
    ).toBe(5);
    expect(
      sampleValue(s, "gen_ai_server_request_duration_seconds_bucket", {
        ...m1,
        status_class: "2xx",
        le: "300",
      }),
    ).toBe(5);
    expect(sampleValue(s, "gen_ai_server_time_to_first_token_seconds_count", m1)).toBe(5);
    // The fake answers "hello there" with 2 input and 3 output tokens: every request in the
    // (1, 4] bucket, none at or below 1.
    for (const type of ["input", "output"]) {
      const labels = { ...m1, gen_ai_token_type: type };
      expect(sampleValue(s, "gen_ai_client_token_usage_bucket", { ...labels, le: "1" })).toBe(0);
      expect(sampleValue(s, "gen_ai_client_token_usage_bucket", { ...labels, le: "4" })).toBe(5);
      expect(sampleValue(s, "gen_ai_client_token_usage_count", labels)).toBe(5);
    }
    expect(sampleValue(s, "gen_ai_client_token_usage_sum", { ...m1, gen_ai_token_type: "input" })).toBe(10);
    expect(sampleValue(s, "gen_ai_client_token_usage_sum", { ...m1, gen_ai_token_type: "output" })).toBe(15);
    // $1 per input token (prices are per million): 5 requests × 2 tokens.
    expect(sampleValue(s, "mindgw_cost_usd_total", { model: "m1" })).toBe(10);
    expect(sampleValue(s, "mindgw_tenant_cost_usd_total", { tenant: "default" })).toBe(10);
    expect(sampleValue(s, "mindgw_tenant_budget_usd", { tenant: "team-a", per: "month" })).toBe(500);
  });

  test("upstream attempts, retries, failovers and breaker state", async () => {
    const s = await scrape();
    const attempts = (provider: string, outcome: string) =>
      sampleValue(s, "mindgw_upstream_attempts_total", { provider, outcome });
    expect(attempts("fake", "ok")).toBe(6);
    expect(attempts("fake", "upstream_error")).toBe(1);
    expect(attempts("fake-a", "upstream_error")).toBe(2);
    expect(attempts("fake-b", "ok")).toBe(1);
    expect(
      sampleValue(s, "gen_ai_client_operation_duration_seconds_count", { provider: "fake", outcome: "ok" }),
    ).toBe(6);
    expect(sampleValue(s, "mindgw_upstream_retries_total", { provider: "fake" })).toBe(1);
    expect(sampleValue(s, "mindgw_upstream_retries_total", { provider: "fake-a" })).toBe(1);
    expect(sampleValue(s, "mindgw_upstream_failovers_total", { model: "m-fo" })).toBe(1);
    expect(
      sampleValue(s, "mindgw_route_breaker_state", { provider: "fake-a", upstream_model: "fake-model" }),
    ).toBe(2);
    expect(
      sampleValue(s, "mindgw_route_breaker_state", { provider: "fake-b", upstream_model: "fake-model" }),
    ).toBe(0);
  });

  test("a breaker reads open (2) until a probe is in flight, half-open (1) only while one is, open again when it fails", async () => {
    const dead = await fx.spawn({
      config: {
        providers: [{ name: "flaky", type: "openai", base_url: `${fake.url}/v1` }],
        models: [{ name: "m-flaky", routes: [{ provider: "flaky", model: "fake-model" }] }],
        routing: { retries: 0, circuit_breaker: { failures: 1, cooldown: "1s" } },
      },
    });
    const key = dead.adminKey ?? "";
    const call = (signal?: AbortSignal) =>
      fetch(`${dead.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(key),
        body: chatBody("m-flaky"),
        ...(signal ? { signal } : {}),
      });
    const state = async () => {
      const res = await fetch(`${dead.url}/metrics`, { headers: bearer(key) });
      const s = parsePrometheus(await res.text());
      return sampleValue(s, "mindgw_route_breaker_state", {
        provider: "flaky",
        upstream_model: "fake-model",
      });
    };
    /** The routing view says the route takes a request again: its cooldown is over. */
    const cooledDown = () =>
      waitFor("the cooldown to pass", async () => {
        const res = await fetch(`${dead.url}/admin/api/routing`, { headers: bearer(key) });
        const view = (await res.json()) as { models: { routes: { health: { open: boolean } }[] }[] };
        return view.models[0]?.routes[0]?.health.open === false || undefined;
      });
    fake.reset();
    fake.enqueue({ status: 500 });
    expect((await call()).status).toBeGreaterThanOrEqual(500);
    expect(await state()).toBe(2);
    // The cooldown is over and no request has come to probe it: still open.
    await cooledDown();
    expect(await state()).toBe(2);
    // A probe in flight (the upstream holds it): half-open while it is.
    fake.enqueue({ hang: true });
    const leaving = new AbortController();
    const probe = call(leaving.signal).catch(() => undefined);
    await waitFor("the probe upstream", () => fake.requests.length === 2 || undefined);
    expect(await state()).toBe(1);
    // Its client leaves: no verdict, the breaker as open as before the probe.
    leaving.abort();
    await probe;
    await waitFor("the probe's slot freed", async () => (await state()) === 2 || undefined);
    // A probe that fails opens it for another cooldown.
    fake.enqueue({ status: 500 });
    expect((await call()).status).toBeGreaterThanOrEqual(500);
    expect(await state()).toBe(2);
  });

  test("a name a glob entry matches is labelled with the glob: made-up names mint no series", async () => {
    const s = await scrape();
    const glob = (status_class: string) =>
      sampleValue(s, "mindgw_requests_total", {
        front_door: "chat",
        model: "glob-*",
        provider: "fake-g",
        status_class,
      });
    expect([glob("2xx"), glob("4xx"), glob("5xx")]).toEqual([1, 1, 1]);
    // The `*` route keeps a breaker per name it passed on (glob-made-up-1's and -2's closed, -3's
    // opened by its two 500s): one series, the route as configured, in the state of the most open.
    expect(sampleValue(s, "mindgw_route_breaker_state", { provider: "fake-g", upstream_model: "*" })).toBe(2);
    const text = s.map((x) => JSON.stringify(x.labels)).join("\n");
    expect(text).not.toContain("glob-made-up");
  });

  test("rate-limit refusals by kind, in-flight gauges, workers, audit and memory", async () => {
    const s = await scrape();
    // The key's rpm refused one; the upstream's own 429 was relayed for another.
    expect(sampleValue(s, "mindgw_rate_limit_refusals_total", { kind: "requests" })).toBe(1);
    expect(sampleValue(s, "mindgw_rate_limit_refusals_total", { kind: "upstream" })).toBe(1);
    // The scrape on the separate listener is not a gateway request.
    expect(sampleValue(s, "mindgw_requests_in_flight")).toBe(0);
    expect(sampleValue(s, "mindgw_streams_in_flight")).toBe(0);
    for (const draining of ["false", "true"])
      for (const out_of_rotation of ["false", "true"])
        expect(sampleValue(s, "mindgw_workers_connected", { draining, out_of_rotation })).toBe(0);
    expect(sampleValue(s, "mindgw_worker_capacity")).toBe(0);
    expect(sampleValue(s, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    // Audit rows are written off the request path: wait until every request so far is written.
    const written = await waitFor("the audit rows to be written", async () => {
      const now = await scrape();
      const n = sampleValue(now, "mindgw_audit_records_total", { result: "written" }) ?? 0;
      return n >= 11 ? now : undefined;
    });
    expect(sampleValue(written, "mindgw_audit_records_total", { result: "dropped" })).toBe(0);
    expect(sampleValue(written, "mindgw_audit_flush_duration_seconds_count")).toBeGreaterThan(0);
    expect(sampleValue(written, "mindgw_audit_queue_depth")).toBeGreaterThanOrEqual(0);
  });

  test("docs/OBSERVABILITY.md's table names every family /metrics prints after traffic, with its type and label names, and no other", async () => {
    const doc = await Bun.file(join(import.meta.dir, "../../docs/OBSERVABILITY.md")).text();
    const table = doc.slice(doc.indexOf("| metric | type |"), doc.indexOf("### Scrape config"));
    const documented = new Map(
      [...table.matchAll(/^\| `([a-z0-9_]+)` \| (\w+) \|([^|]*)\|([^|]*)/gm)].map((row) => [
        row[1] ?? "",
        {
          type: row[2] ?? "",
          // "tenant, per (`day`, `month`)": the names, their values' notes aside.
          labels: (row[3] ?? "")
            .replace(/\([^)]*\)/g, "")
            .split(",")
            .map((label) => label.trim())
            .filter((label) => label !== "")
            .sort(),
          clusterOnly: (row[4] ?? "").trim().startsWith("cluster nodes only"),
          // Printed with tracing on only (observability-traces-collector.test.ts reads it there).
          tracingOnly: (row[4] ?? "").trim().startsWith("with tracing on only"),
          // Printed with an event sink configured only (webhook-events.test.ts reads it there).
          sinksOnly: (row[4] ?? "").trim().startsWith("with an event sink in config only"),
        },
      ]),
    );
    // Once a batch of audit rows is written, every family of this gateway has samples.
    const text = await waitFor("an audit batch written", async () => {
      const now = await (await fetch(scrapeUrl)).text();
      return (sampleValue(parsePrometheus(now), "mindgw_audit_flush_duration_seconds_count") ?? 0) > 0
        ? now
        : undefined;
    });
    const printed = new Map(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [
        m[1] ?? "",
        { type: m[2] ?? "", labels: new Set<string>() },
      ]),
    );
    for (const sample of parsePrometheus(text)) {
      const family = printed.get(sample.name) ?? printed.get(sample.name.replace(/_(bucket|sum|count)$/, ""));
      expect(family).toBeDefined();
      for (const label of Object.keys(sample.labels)) if (label !== "le") family?.labels.add(label);
    }
    const asPrinted = [...printed].map(([name, { type, labels }]) => ({
      name,
      type,
      labels: [...labels].sort(),
    }));
    // Not a cluster node, no tracing, no event sink: their families are the only ones documented and not printed.
    const asDocumented = [...documented]
      .filter(([, row]) => !row.clusterOnly && !row.tracingOnly && !row.sinksOnly)
      .map(([name, { type, labels }]) => ({ name, type, labels }));
    expect([...documented].filter(([, row]) => row.clusterOnly).map(([name]) => name)).toEqual([
      "mindgw_cluster_redis_up",
      "mindgw_cluster_redis_foreign",
      "mindgw_cluster_nodes",
    ]);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(asPrinted.sort(byName)).toEqual(asDocumented.sort(byName));
  });

  test("gen_ai_client_operation_duration_seconds is an attempt's whole operation: a stream to its last event, not to its first", async () => {
    const slow = await fx.spawn({ config: config(fake.url) });
    const key = slow.adminKey ?? "";
    // Its first words at once, then four more 400 ms apart: 1.6 s at least from start to end.
    const res = await fetch(`${slow.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(key),
      body: chatBody("m1", "a b c d e f [[fake:chunk-delay=400,chunk-delay-from=2]]", { stream: true }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const labels = { provider: "fake", outcome: "ok" };
    const s = await waitFor("the attempt's duration", async () => {
      const text = await (await fetch(`${slow.url}/metrics`, { headers: bearer(key) })).text();
      const samples = parsePrometheus(text);
      return sampleValue(samples, "gen_ai_client_operation_duration_seconds_count", labels) === 1
        ? samples
        : undefined;
    });
    expect(sampleValue(s, "gen_ai_client_operation_duration_seconds_bucket", { ...labels, le: "1" })).toBe(0);
    expect(sampleValue(s, "gen_ai_client_operation_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(
      1,
    );
    expect(sampleValue(s, "gen_ai_client_operation_duration_seconds_sum", labels)).toBeGreaterThanOrEqual(
      1.6,
    );
  });

  test("metrics.listen answers HEAD as GET without the body, any other method 405 with Allow, each with an x-request-id", async () => {
    const head = await fetch(scrapeUrl, { method: "HEAD", headers: { "x-request-id": "scrape-check-1" } });
    expect([head.status, head.headers.get("content-type"), head.headers.get("x-request-id")]).toEqual([
      200,
      "text/plain; version=0.0.4; charset=utf-8",
      "scrape-check-1",
    ]);
    expect(await head.text()).toBe("");
    // The length a GET's body has, as the main port's HEAD says: never an empty answer's 0.
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    const post = await fetch(scrapeUrl, { method: "POST" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    expect(post.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const get = await fetch(scrapeUrl);
    expect(get.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const elsewhere = await fetch(scrapeUrl.replace(/\/metrics$/, "/other"));
    expect([elsewhere.status, elsewhere.headers.has("x-request-id")]).toEqual([404, true]);
  });

  test("on the main port /metrics needs an admin credential", async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: bearer(user) })).status).toBe(403);
    const res = await fetch(`${gw.url}/metrics`, { headers: bearer(admin) });
    expect(res.status).toBe(200);
    const s = parsePrometheus(await res.text());
    // This scrape is itself in flight.
    expect(sampleValue(s, "mindgw_requests_in_flight")).toBe(1);
  });

  test("config reloads are counted by result: applied, restart required (no new version), rejected, restored", async () => {
    await gw.writeConfig(config(fake.url, { prices: {} }));
    await waitFor("the reload", () => gw.stderr.all.includes("config reloaded"), 15_000);
    expect(sampleValue(await scrape(), "mindgw_config_version")).toBe(2);
    // An edit of restart-only settings alone (the log's level) applies nothing: no version 3.
    await gw.writeConfig(config(fake.url, { prices: {}, log: { level: "warn" } }));
    await waitFor(
      "the restart-required warning",
      () => gw.stderr.all.includes("config change not applied: restart required for: log"),
      15_000,
    );
    const afterRestartOnly = await scrape();
    expect(sampleValue(afterRestartOnly, "mindgw_config_version")).toBe(2);
    const status = (await (await fetch(`${gw.url}/admin/api/status`, { headers: bearer(admin) })).json()) as {
      config: { version: number; restartRequired: string[]; lastEvent: { type: string } };
    };
    expect(status.config).toMatchObject({
      version: 2,
      restartRequired: ["log"],
      lastEvent: { type: "config.restart_required", version: 2, restartRequired: ["log"] },
    });
    await gw.writeConfig({ ...config(fake.url), providers: [{ name: "x", type: "opnai" }] });
    await waitFor("the rejection", () => gw.stderr.all.includes("config change rejected"), 15_000);
    const s = await scrape();
    expect(sampleValue(s, "mindgw_config_reloads_total", { result: "applied" })).toBe(1);
    expect(sampleValue(s, "mindgw_config_reloads_total", { result: "restart_required" })).toBe(1);
    expect(sampleValue(s, "mindgw_config_reloads_total", { result: "rejected" })).toBe(1);
    // The file as version 2 serves it, log level and all: both edits undone, nothing pending.
    await gw.writeConfig(config(fake.url, { prices: {} }));
    await waitFor(
      "the restore",
      async () => sampleValue(await scrape(), "mindgw_config_reloads_total", { result: "restored" }) === 1,
      15_000,
    );
    const restored = await scrape();
    expect(sampleValue(restored, "mindgw_config_reloads_total", { result: "applied" })).toBe(1);
    expect(sampleValue(restored, "mindgw_config_version")).toBe(2);
    expect(gw.stderr.all).not.toContain("config reloaded (version 3)");
  });

  test("with tracing unset, a client's traceparent still reaches the upstream unchanged", async () => {
    const given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    fake.reset();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(user), traceparent: given },
      body: chatBody("m1"),
    });
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.headers.traceparent)).toEqual([given]);
    expect(gw.stderr.all).not.toContain("tracing on");
  });
});

describe("metrics: workers that come and go", () => {
  /**
   * A worker that connects under a name of its own offering a model of its own, answers one
   * request for it, and leaves, as worker credentials may have it: its names are its own choice.
   */
  async function workerOnce(token: string, tag: string): Promise<void> {
    const worker = await openRawWorker(gw.port, token);
    expect((await worker.register([`wm-${tag}`], `w-${tag}`)).type).toBe("registered");
    const answered = chat(user, `wm-${tag}`);
    const request = await worker.next("request");
    worker.send({ type: "head", id: request.id, status: 200, contentType: "application/json" });
    worker.sendChunk(
      request.id,
      JSON.stringify({
        id: "chatcmpl-w",
        object: "chat.completion",
        created: 1,
        model: `wm-${tag}`,
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    worker.send({ type: "end", id: request.id });
    expect((await answered).status).toBe(200);
    worker.socket.close();
    await worker.waitClosed();
  }

  test("a model only workers serve is labelled `workers`: worker churn mints no series", async () => {
    const token = await createKey(gw.url, admin, { name: "churn", role: "worker", models: ["*"] });
    const gone = async () =>
      waitFor("the workers to be gone", async () => {
        const s = await scrape();
        const connected = sampleValue(s, "mindgw_workers_connected", {
          draining: "false",
          out_of_rotation: "false",
        });
        return connected === 0 ? s : undefined;
      });
    await workerOnce(token, "first");
    const before = await gone();
    for (let i = 0; i < 8; i++) await workerOnce(token, String(i));
    const after = await gone();
    const labelSets = (samples: Sample[]) =>
      new Set(samples.map((x) => `${x.name}${JSON.stringify(x.labels)}`));
    expect([...labelSets(after)].filter((series) => !labelSets(before).has(series))).toEqual([]);
    expect(
      sampleValue(after, "mindgw_requests_total", {
        front_door: "chat",
        model: "workers",
        provider: "workers",
        status_class: "2xx",
      }),
    ).toBe(9);
    expect(after.map((x) => JSON.stringify(x.labels)).join("\n")).not.toContain("wm-");
  });
});

describe("metrics: a call never sent upstream is no attempt", () => {
  const post = (path: string, requestId: string, body: object) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { ...bearer(admin), "anthropic-version": "2023-06-01", "x-request-id": requestId },
      body: JSON.stringify(body),
    });
  const messages = [{ role: "user", content: "hello there" }];

  test("count_tokens past an OpenAI-type route, the gateway's own estimate, a translation's refusal", async () => {
    fake.reset();
    // One upstream call, on the Anthropic route: the OpenAI-type route before it cannot count.
    expect(
      (await post("/v1/messages/count_tokens", "never-sent-passed", { model: "m-count", messages })).status,
    ).toBe(200);
    // No route can count: the gateway estimates, no upstream called.
    expect(
      (await post("/v1/messages/count_tokens", "never-sent-estimate", { model: "m-oa", messages })).status,
    ).toBe(200);
    // Responses → chat refuses a bound that is no number: the caller's 400, nothing sent.
    const refused = await post("/v1/responses", "never-sent-refused", {
      model: "m-oa",
      input: "x",
      max_output_tokens: "lots",
    });
    expect(refused.status).toBe(400);
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/messages/count_tokens"]);

    // Each request is counted as it ends, which may come after its answer: read once all three are.
    const ours = (x: Sample) =>
      x.name === "mindgw_requests_total" && ["m-count", "m-oa"].includes(x.labels.model ?? "");
    const s = await waitFor("the three requests counted", async () => {
      const now = await scrape();
      return now.filter(ours).reduce((sum, x) => sum + x.value, 0) === 3 ? now : undefined;
    });
    const counted = (front_door: string, model: string, provider: string, status_class = "2xx") =>
      sampleValue(s, "mindgw_requests_total", { front_door, model, provider, status_class });
    // The estimate was served by no upstream: provider `none`, as a refused request's.
    expect(counted("count_tokens", "m-oa", "none")).toBe(1);
    expect(counted("count_tokens", "m-oa", "fake-oa")).toBeUndefined();
    expect(counted("count_tokens", "m-count", "fake-an")).toBe(1);
    expect(counted("responses", "m-oa", "none", "4xx")).toBe(1);
    // The one attempt is the one call sent, and no failover led to it.
    const attempted = s.filter(
      (x) =>
        x.name === "mindgw_upstream_attempts_total" &&
        ["fake-oa", "fake-an"].includes(x.labels.provider ?? ""),
    );
    expect(attempted.map((x) => [x.labels.provider, x.labels.outcome, x.value])).toEqual([
      ["fake-an", "ok", 1],
    ]);
    expect(sampleValue(s, "mindgw_upstream_failovers_total", { model: "m-count" })).toBeUndefined();
    // The audit rows agree: one attempt where a call was sent, no `attempts` where none was.
    expect((await auditRow(gw, "never-sent-passed")).attempts).toMatchObject([
      { route: "provider:fake-an", upstreamModel: "claude-fake", outcome: "ok" },
    ]);
    const estimate = await auditRow(gw, "never-sent-estimate");
    expect([estimate.status, estimate.route, estimate.upstreamModel, estimate.attempts]).toEqual([
      200,
      null,
      null,
      undefined,
    ]);
    const refusal = await auditRow(gw, "never-sent-refused");
    expect([refusal.status, refusal.errorClass, refusal.route, refusal.attempts]).toEqual([
      400,
      "invalid_request",
      null,
      undefined,
    ]);
  });

  test("time to first token is only of answers that generate tokens: a count_tokens and an embeddings call leave it as it was", async () => {
    const ttft = (samples: Sample[]) =>
      samples
        .filter((x) => x.name === "gen_ai_server_time_to_first_token_seconds_count")
        .reduce((sum, x) => sum + x.value, 0);
    const before = await scrape();
    const served = (x: Sample) =>
      x.name === "mindgw_requests_total" &&
      x.labels.model === "m-oa" &&
      x.labels.status_class === "2xx" &&
      ["count_tokens", "embeddings"].includes(x.labels.front_door ?? "");
    const servedIn = (samples: Sample[]) => samples.filter(served).reduce((sum, x) => sum + x.value, 0);
    expect((await post("/v1/messages/count_tokens", "ttft-count", { model: "m-oa", messages })).status).toBe(
      200,
    );
    expect((await post("/v1/embeddings", "ttft-embed", { model: "m-oa", input: "hello there" })).status).toBe(
      200,
    );
    const after = await waitFor("both requests counted", async () => {
      const now = await scrape();
      return servedIn(now) === servedIn(before) + 2 ? now : undefined;
    });
    expect(ttft(after)).toBe(ttft(before));
    const series = after.filter((x) => x.name.startsWith("gen_ai_server_time_to_first_token_seconds"));
    expect(series.filter((x) => ["count_tokens", "embeddings"].includes(x.labels.front_door ?? ""))).toEqual(
      [],
    );
  });
});
