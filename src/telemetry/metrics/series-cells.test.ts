import { expect, test } from "bun:test";
import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// A request's and an attempt's cells are found through the last label set seen before any
// lookup: runs of like requests, switches between label sets and label values that are equal
// strings but not the same string must all count where the labels say.

const metricsOf = () =>
  new GatewayMetrics(quietSources(), (model) => (model === "m1" || model === "m2" ? model : "other"));

/** A string equal to `text` that is not the same string (as a model name parsed per request is). */
const fresh = (text: string) => [...text].join("");

const record = (frontDoor: FrontDoor, model: string, route: string | null, status: number): AuditRecord => ({
  requestId: "req",
  startedAt: 0,
  keyId: null,
  keyName: null,
  tenant: null,
  role: null,
  frontDoor,
  model: fresh(model),
  route,
  upstreamModel: model,
  status,
  errorClass: status === 429 ? "rate_limited" : null,
  stream: false,
  latencyMs: 12,
  ttfbMs: 5,
  inputTokens: 3,
  outputTokens: 4,
  costUsd: 0,
  clientIp: null,
  userAgent: null,
});

/** Every sample of `name` as `labels → value`, labels printed as the exposition has them. */
const samples = (text: string, name: string) =>
  Object.fromEntries(
    [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))].map((m) => [m[1], Number(m[2])]),
  );

test("each request counts in its own series however like and unlike requests follow each other", async () => {
  const metrics = metricsOf();
  const kinds: [FrontDoor, string, string | null, number][] = [
    ["chat", "m1", "provider:a", 200],
    ["chat", "m1", "provider:a", 200],
    ["chat", "m1", "provider:b", 200],
    ["chat", "m2", "provider:a", 200],
    ["messages", "m1", "provider:a", 200],
    ["chat", "m1", "provider:a", 502],
    ["chat", "unknown", null, 404],
    ["chat", "m1", "provider:a", 200],
  ];
  const expected = new Map<string, number>();
  // Runs of one kind, then every kind after every other.
  const order = [0, 0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 0, 3, 0, 6, 6, 1, 4, 2];
  for (const i of order) {
    const [frontDoor, model, route, status] = kinds[i] ?? ["chat", "m1", null, 200];
    metrics.requestFinished(record(frontDoor, model, route, status), undefined);
    const labels = `front_door="${frontDoor}",model="${model === "unknown" ? "other" : model}",provider="${route === null ? "none" : route.slice("provider:".length)}",status_class="${Math.floor(status / 100)}xx"`;
    expected.set(labels, (expected.get(labels) ?? 0) + 1);
  }
  const text = await metrics.scrape();
  expect(samples(text, "mindgw_requests_total")).toEqual(Object.fromEntries(expected));
  expect(samples(text, "gen_ai_server_request_duration_seconds_count")).toEqual({
    'front_door="chat",model="m1",status_class="2xx"': 11,
    'front_door="chat",model="m2",status_class="2xx"': 2,
    'front_door="messages",model="m1",status_class="2xx"': 2,
    'front_door="chat",model="m1",status_class="5xx"': 2,
    'front_door="chat",model="other",status_class="4xx"': 3,
  });
});

test("a seeded label set is one series at 0 with no histogram until its first request, then that same series counts it", async () => {
  const metrics = new GatewayMetrics(
    quietSources({ configured: () => ({ models: [{ model: "m1", providers: ["a"] }], tenants: [] }) }),
    (model) => (model === "m1" ? model : "other"),
  );
  const seeded = 'front_door="chat",model="m1",provider="a",status_class="5xx"';
  const before = await metrics.scrape();
  expect(samples(before, "mindgw_requests_total")[seeded]).toBe(0);
  expect(samples(before, "mindgw_cost_usd_total")).toEqual({ 'model="m1"': 0 });
  expect(before).not.toContain("gen_ai_server_request_duration_seconds_count");
  expect(before).not.toContain("gen_ai_client_token_usage_count");
  metrics.requestFinished(record("chat", "m1", "provider:a", 502), undefined);
  metrics.requestFinished(record("chat", "m1", "provider:a", 503), undefined);
  const after = await metrics.scrape();
  expect(after.split("\n").filter((line) => line.startsWith(`mindgw_requests_total{${seeded}}`))).toEqual([
    `mindgw_requests_total{${seeded}} 2`,
  ]);
  expect(samples(after, "gen_ai_server_request_duration_seconds_count")).toEqual({
    'front_door="chat",model="m1",status_class="5xx"': 2,
  });
  // A reload seeding the set again leaves its count as it is.
  metrics.configReloaded("applied");
  expect(samples(await metrics.scrape(), "mindgw_requests_total")[seeded]).toBe(2);
});

test("attempts, retries, failovers and refusals count by their labels in any order", async () => {
  const metrics = metricsOf();
  const failed = upstreamError("boom");
  const attempts: [string, GatewayError | undefined][] = [
    ["provider:a", undefined],
    ["provider:a", undefined],
    ["provider:a", failed],
    ["provider:b", undefined],
    ["worker:w1", undefined],
    ["worker:w2", undefined],
    // A worker on another cluster node, the call forwarded there: counted here, as a worker's.
    ["worker:w3@gw-2", undefined],
    ["provider:a", undefined],
    ["provider:a", failed],
  ];
  for (const [route, error] of attempts) metrics.attemptEnded(metrics.attempted(route, error), 0.01);
  const info = { vendor: "openai", upstreamModel: "u" };
  metrics.attemptStarted({ ...info, route: "provider:a", retry: 1, failover: false }, "m1");
  metrics.attemptStarted({ ...info, route: "provider:a", retry: 2, failover: false }, "m1");
  metrics.attemptStarted({ ...info, route: "provider:b", retry: 0, failover: true }, fresh("m1"));
  metrics.attemptStarted({ ...info, route: "provider:b", retry: 1, failover: true }, "nope");
  const limited = (refusedBy: GatewayError["refusedBy"]) =>
    new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "slow down",
      ...(refusedBy ? { refusedBy } : {}),
    });
  for (const kind of ["requests", "tokens", "requests", undefined, "requests"] as const)
    metrics.requestFinished(record("chat", "m1", null, 429), limited(kind));
  const text = await metrics.scrape();
  expect(samples(text, "mindgw_upstream_attempts_total")).toEqual({
    'provider="a",outcome="ok"': 3,
    'provider="a",outcome="upstream_error"': 2,
    'provider="b",outcome="ok"': 1,
    'provider="workers",outcome="ok"': 3,
  });
  expect(samples(text, "gen_ai_client_operation_duration_seconds_count")).toEqual({
    'provider="a",outcome="ok"': 3,
    'provider="a",outcome="upstream_error"': 2,
    'provider="b",outcome="ok"': 1,
    'provider="workers",outcome="ok"': 3,
  });
  expect(samples(text, "mindgw_upstream_retries_total")).toEqual({ 'provider="a"': 2, 'provider="b"': 1 });
  expect(samples(text, "mindgw_upstream_failovers_total")).toEqual({ 'model="m1"': 1, 'model="other"': 1 });
  expect(samples(text, "mindgw_rate_limit_refusals_total")).toEqual({
    'kind="requests"': 3,
    'kind="tokens"': 1,
    'kind="budget"': 0,
    'kind="upstream"': 1,
  });
});
