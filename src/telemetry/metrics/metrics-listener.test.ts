import { afterEach, expect, test } from "bun:test";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { startMetricsListener } from "./metrics-routes.ts";
import { quietSources } from "./testing/quiet-sources.ts";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const metrics = () => new GatewayMetrics(quietSources(), () => "other");

test("metrics.listen answers GET /metrics without a credential, and nothing else", async () => {
  const listener = startMetricsListener("127.0.0.1:0", metrics());
  stops.push(listener.stop);
  const scrape = await fetch(listener.url);
  expect(scrape.status).toBe(200);
  expect(await scrape.text()).toContain("# TYPE");
  expect((await fetch(listener.url.replace("/metrics", "/admin"))).status).toBe(404);
});

test("metrics.listen answers HEAD /metrics with the headers a GET has, its length the body's", async () => {
  const listener = startMetricsListener("127.0.0.1:0", metrics());
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
  expect(() => startMetricsListener(address, metrics())).toThrow(
    `metrics.listen: cannot listen on ${address}: the address is already in use`,
  );
});
