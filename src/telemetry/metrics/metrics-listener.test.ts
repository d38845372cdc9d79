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

test("a scrape that fails (a source threw: an embedder's policy, a store) is a short 500 with its x-request-id, the error logged, not the runtime's error page", async () => {
  const failing = new GatewayMetrics(
    quietSources({
      eventListenerErrors: () => {
        throw new Error("the store is gone");
      },
    }),
    () => "other",
  );
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
