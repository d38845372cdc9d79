import { describe, expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { type OtlpReceiver, startOtlpReceiver } from "./harness/otlp-receiver.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { configFor, hex, otelEnv, traceparent, tracesFixture } from "./harness/traces-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// A collector that refuses spans, answers busy or never answers: losses said a burst a line and
// counted, and a SIGTERM that does not wait on the exporter past the drain.

const traces = tracesFixture({ worker: false, gateway: false });
const { fx } = traces;

describe("traces: a collector that refuses them", () => {
  test("lost spans are a burst a line: 'spans dropped' with the collector's answer at the first loss, 'spans delivering again' with the count at recovery, again at the next loss; mindgw_trace_spans_dropped_total counts them all", async () => {
    const collector = fx.own(startOtlpReceiver());
    const lossy = await fx.spawn({
      env: otelEnv(collector, "mindgw-loss-test"),
      config: configFor(fx.fake.url),
    });
    const apiKey = lossy.adminKey ?? "";
    /** One call under a fresh trace (a server span and an attempt span); its trace id. */
    const call = async () => {
      const traceId = hex(16);
      const res = await fetch(`${lossy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(apiKey), traceparent: traceparent(traceId, hex(8)) },
        body: chatBody("m-oa"),
      });
      expect(res.status).toBe(200);
      return traceId;
    };
    const delivered = (traceId: string) =>
      waitFor(`trace ${traceId} at the collector`, () => collector.spans.some((s) => s.traceId === traceId));
    const dropped = async () => {
      const res = await fetch(`${lossy.url}/metrics`, { headers: bearer(apiKey) });
      return sampleValue(parsePrometheus(await res.text()), "mindgw_trace_spans_dropped_total", {}) ?? -1;
    };
    const lines = (message: string) =>
      lossy.stderr.all.split("\n").filter((line) => line.includes(` ${message} `));

    await delivered(await call());
    expect(await dropped()).toBe(0);
    collector.refuseWith(500);
    await call();
    await waitFor("the first loss's line", () => lines("spans dropped").length === 1);
    expect(lines("spans dropped")[0]).toMatch(
      / warn spans dropped count=\d+ reason="HTTP 500 Internal Server Error"/,
    );
    // A further loss in the same burst is counted, not said (a scrape is a request, traced too).
    const first = await dropped();
    await call();
    await waitFor("that call's spans lost too", async () => (await dropped()) >= first + 2);
    expect(lines("spans dropped")).toHaveLength(1);
    collector.refuseWith(undefined);
    await delivered(await call());
    const resumed = await waitFor("the recovery's line", () => lines("spans delivering again")[0]);
    const burst = Number(/ info spans delivering again dropped=(\d+)$/.exec(resumed)?.[1]);
    // The line counts the whole burst, as the counter does (a batch refused as the collector came back may add to it).
    expect(burst).toBeGreaterThanOrEqual(first + 2);
    expect(await dropped()).toBeGreaterThanOrEqual(burst);
    // The next loss after a delivery is said again.
    collector.refuseWith(500);
    await call();
    await waitFor("the second burst's line", () => lines("spans dropped").length === 2);
    expect(await dropped()).toBeGreaterThan(burst);
  });
});

describe("traces: a collector that answers busy", () => {
  test("a 503 past the retries: 'spans dropped' names the status, not 'Export failed with retryable status'", async () => {
    const collector = fx.own(startOtlpReceiver());
    const busy = await fx.spawn({
      // One retry fits the export's time (the library backs off 1 s, then 1.5 s). OTLP/protobuf to
      // an http: endpoint, over the gateway's own transport (http/json is the library's exporter).
      env: {
        ...otelEnv(collector, "mindgw-busy-test"),
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
      },
      config: configFor(fx.fake.url),
    });
    collector.refuseWith(503);
    const res = await fetch(`${busy.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(busy.adminKey ?? ""),
      body: chatBody("m-oa"),
    });
    expect(res.status).toBe(200);
    const line = await waitFor("the loss's line", () =>
      busy.stderr.all.split("\n").find((one) => one.includes(" spans dropped ")),
    );
    expect(line).toMatch(/ warn spans dropped count=\d+ reason="HTTP 503 Service Unavailable"/);
  });
});

describe("traces: a collector that never answers", () => {
  test("SIGTERM flushes within what is left of server.drain_timeout, not the exporter's own timeout, and says it gave up", async () => {
    // Takes every export and answers none.
    const hanging = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Promise<Response>(() => {}),
    });
    fx.defer(() => hanging.stop(true));
    const stuck = await fx.spawn({
      env: {
        ...otelEnv({ url: `http://127.0.0.1:${hanging.port}` } as OtlpReceiver, "mindgw-hang-test"),
        OTEL_EXPORTER_OTLP_TIMEOUT: "600000",
      },
      config: { ...configFor(fx.fake.url), server: { drain_timeout: "1s" } },
    });
    const res = await fetch(`${stuck.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(stuck.adminKey ?? ""),
      body: chatBody("m-oa"),
    });
    expect(res.status).toBe(200);
    // Its spans are on their way to the collector, which holds them: the exit must not wait for it.
    expect(await stuck.stop("SIGTERM", 30_000)).toBe(0);
    expect(stuck.stderr.all).toContain(
      "warn flushing traces given up: the collector did not answer within the drain's time",
    );
  });
});
