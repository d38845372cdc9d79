import { afterEach, expect, test } from "bun:test";
import { silentLogger } from "../../log/logger.ts";
import { recordingLogger } from "../../testing/recording-logger.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { startMetricsListener } from "./metrics-routes.ts";
import { quietSources } from "./testing/quiet-sources.ts";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const metrics = () => new GatewayMetrics(quietSources(), () => "other");

test("metrics.listen answers GET /metrics without a credential, and nothing else", async () => {
  const listener = startMetricsListener("127.0.0.1:0", metrics(), silentLogger);
  stops.push(listener.stop);
  const scrape = await fetch(listener.url);
  expect(scrape.status).toBe(200);
  expect(await scrape.text()).toContain("# TYPE");
  expect((await fetch(listener.url.replace("/metrics", "/admin"))).status).toBe(404);
});

test("metrics.listen answers HEAD /metrics with the headers a GET has, its length the body's", async () => {
  const listener = startMetricsListener("127.0.0.1:0", metrics(), silentLogger);
  stops.push(listener.stop);
  const head = await fetch(listener.url, { method: "HEAD" });
  const got = await fetch(listener.url);
  const body = await got.text();
  expect(await head.text()).toBe("");
  expect(head.headers.get("content-type")).toBe(got.headers.get("content-type"));
  expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
});

test("an address another process holds: the failure names metrics.listen and the address, not only Bun's 'Is port N in use?'", () => {
  const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  stops.push(() => void holder.stop(true));
  const address = `127.0.0.1:${holder.port}`;
  expect(() => startMetricsListener(address, metrics(), silentLogger)).toThrow(
    `metrics.listen: cannot listen on ${address}: the address is already in use`,
  );
});

test("a source that throws costs only its own families: the scrape is served without them, each failure counted by family and logged at once, then at most every 30 s", async () => {
  const { logger, lines } = recordingLogger();
  const gone = () => {
    throw new Error("the store is gone");
  };
  // One family's source (in flight), and one that four families read (the audit writer's counts).
  const failing = new GatewayMetrics(quietSources({ inFlight: gone, audit: gone }), () => "other", logger);
  const listener = startMetricsListener("127.0.0.1:0", failing, silentLogger);
  stops.push(listener.stop);
  const scrapes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const scrape = await fetch(listener.url);
    expect(scrape.status).toBe(200);
    scrapes.push(await scrape.text());
  }
  const families = (text: string) => [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  const failed = [
    "mindgw_requests_in_flight",
    "mindgw_audit_queue_depth",
    "mindgw_audit_queue_bytes",
    "mindgw_audit_bodies_dropped_total",
    "mindgw_audit_records_total",
  ];
  const last = scrapes[1] ?? "";
  for (const family of failed) expect(families(last)).not.toContain(family);
  expect(last).toContain("\nmindgw_event_streams_open 0\n");
  for (const family of failed)
    expect(last).toContain(`mindgw_metric_family_errors_total{family="${family}"} 2\n`);
  // Every family has its series from the start, at 0: an alert on its increase sees the first failure.
  expect(scrapes[0]).toContain('mindgw_metric_family_errors_total{family="mindgw_event_streams_open"} 0\n');
  expect(lines).toEqual(
    failed.map((family) => ({
      level: "warn",
      message: `reading the metric family ${family} failed: Error: the store is gone`,
      fields: { family },
    })),
  );
});

test("a scrape that fails is a short 500 with its x-request-id, the error logged, not the runtime's error page", async () => {
  const failing = new GatewayMetrics(quietSources(), () => "other");
  failing.scrape = () => Promise.reject(new Error("the store is gone"));
  const { logger, lines } = recordingLogger();
  const listener = startMetricsListener("127.0.0.1:0", failing, logger);
  stops.push(listener.stop);
  const scrape = await fetch(listener.url, { headers: { "x-request-id": "scrape-1" } });
  expect(scrape.status).toBe(500);
  expect(scrape.headers.get("x-request-id")).toBe("scrape-1");
  expect(scrape.headers.get("content-type")).toStartWith("text/plain");
  expect(await scrape.text()).toBe("the metrics could not be read: see the gateway's log\n");
  expect(lines).toEqual([
    {
      level: "error",
      message: "metrics scrape failed",
      fields: { request_id: "scrape-1", error: "Error: the store is gone" },
    },
  ]);
});
