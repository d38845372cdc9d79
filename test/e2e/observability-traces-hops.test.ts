import { describe, expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { CLIENT, hex, SERVER, traceparent, tracesFixture } from "./harness/traces-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Traces across hops: shadow copies and workers each a span of the caller's trace, attempt metrics by
// traced attempts, and no process's command line in a span's resource.

const traces = tracesFixture();
const { fx } = traces;

describe("traces: OTLP export", () => {
  test("a shadow copy is a client span of its own under the server span, marked, its upstream told of it; a failed one is in error", async () => {
    const call = async (model: string) => {
      const traceId = hex(16);
      const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(traces.key), traceparent: traceparent(traceId, hex(8)) },
        body: chatBody(model),
      });
      expect(res.status).toBe(200);
      const spans = await traces.spansOf(traceId, 3);
      const server = spans.find((s) => s.kind === SERVER);
      const copy = spans.find((s) => s.attributes["mindgw.shadow"] === true);
      const attempt = spans.find((s) => s.kind === CLIENT && s !== copy);
      for (const client of [copy, attempt]) expect(client?.parentSpanId).toBe(server?.spanId ?? "-");
      expect(copy).toMatchObject({ kind: CLIENT, name: "chat bench-model" });
      expect(copy?.attributes).toMatchObject({
        "gen_ai.request.model": "bench-model",
        "mindgw.attempt.retry": 0,
      });
      expect(attempt?.attributes["mindgw.shadow"]).toBeUndefined();
      // The server span is the primary's: its route and provider, not the copy's.
      expect(server?.attributes["mindgw.route"]).toBe("provider:fake-a");
      return { traceId, copy, attempt };
    };
    fx.fake.reset();
    const answered = await call("m-shadowed");
    expect(answered.copy).toMatchObject({ statusCode: 0 });
    expect(answered.copy?.attributes["mindgw.route"]).toBe("provider:fake-b");
    // Each upstream request names the span that made it: the attempt's, and the copy's.
    const sentFor = (model: string) =>
      fx.fake.requests.find((r) => (r.body as { model?: string }).model === model)?.headers.traceparent;
    expect(sentFor("fake-model")).toBe(traceparent(answered.traceId, answered.attempt?.spanId ?? "-"));
    expect(sentFor("bench-model")).toBe(traceparent(answered.traceId, answered.copy?.spanId ?? "-"));
    // A copy whose upstream cannot be reached: its span in error; the client's answer was untouched.
    const down = await call("m-shadow-down");
    expect(down.copy).toMatchObject({ statusCode: 2 });
    expect(down.copy?.attributes).toMatchObject({
      "mindgw.route": "provider:unreachable",
      "error.type": expect.any(String),
    });
    expect(down.attempt).toMatchObject({ statusCode: 0 });
  });

  test("a shadow copy to the workers route carries its span's context to the worker: the hop is its child", async () => {
    const traceId = hex(16);
    fx.fake.reset();
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-shadow-worker"),
    });
    expect(res.status).toBe(200);
    const spans = await traces.spansOf(traceId, 4);
    const server = spans.find((s) => s.kind === SERVER && s.service === "mindgw-gateway-test");
    const copy = spans.find((s) => s.attributes["mindgw.shadow"] === true);
    const hop = spans.find((s) => s.service === "mindgw-worker-test");
    expect(copy).toMatchObject({ kind: CLIENT, parentSpanId: server?.spanId ?? "-", statusCode: 0 });
    expect(copy?.attributes["mindgw.route"]).toBe("workers");
    expect(hop).toMatchObject({ kind: SERVER, parentSpanId: copy?.spanId ?? "-" });
    expect(hop?.attributes["mindgw.worker.name"]).toBe("w-trace");
    // The worker's call upstream names the hop's span, in the same trace.
    await waitFor(
      "the worker's upstream call",
      () =>
        fx.fake.requests.some((r) => r.headers.traceparent === traceparent(traceId, hop?.spanId ?? "-")) ||
        undefined,
    );
  });

  test("attempt metrics are counted by traced attempts, sampled or not; an unsampled caller's trace goes on, unsampled", async () => {
    const counts = async () => {
      const res = await fetch(`${fx.gw.url}/metrics`, { headers: bearer(traces.key) });
      expect(res.status).toBe(200);
      const s = parsePrometheus(await res.text());
      const attempts = (provider: string, outcome: string) =>
        sampleValue(s, "mindgw_upstream_attempts_total", { provider, outcome }) ?? 0;
      return {
        failed: attempts("fake-a", "upstream_error"),
        served: attempts("fake-b", "ok"),
        failovers: sampleValue(s, "mindgw_upstream_failovers_total", { model: "m-direct" }) ?? 0,
      };
    };
    const call = async (parent: string) => {
      fx.fake.reset();
      fx.fake.enqueue({ status: 500 });
      const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(traces.key), traceparent: parent },
        body: chatBody("m-direct"),
      });
      expect(res.status).toBe(200);
      return fx.fake.requests.map((r) => r.headers.traceparent);
    };
    const before = await counts();
    // Sampled by the caller: each attempt is a span of the caller's trace.
    const sampledTrace = hex(16);
    const sampledSeen = await call(traceparent(sampledTrace, hex(8)));
    expect(sampledSeen).toHaveLength(2);
    for (const seen of sampledSeen) expect(seen).toStartWith(`00-${sampledTrace}-`);
    // Not sampled by the caller (parentbased_always_on follows it): no span, but each attempt names
    // its own unrecorded one in the caller's trace, unsampled, as the SDK propagates such a span.
    const unsampledTrace = hex(16);
    const callerSpan = hex(8);
    const unsampledSeen = await call(`00-${unsampledTrace}-${callerSpan}-00`);
    expect(unsampledSeen).toHaveLength(2);
    for (const seen of unsampledSeen)
      expect(seen).toMatch(new RegExp(`^00-${unsampledTrace}-[0-9a-f]{16}-00$`));
    const spans = unsampledSeen.map((seen) => seen?.split("-")[2]);
    expect(new Set([...spans, callerSpan]).size).toBe(3);
    const after = await counts();
    expect(after.failed - before.failed).toBe(2);
    expect(after.served - before.served).toBe(2);
    expect(after.failovers - before.failovers).toBe(2);
  });

  test("through a worker: gateway → worker → upstream carry one trace, the worker's span in between", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    fx.fake.reset();
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(traceId, callerSpan) },
      body: chatBody("m-worker", "hello there", { stream: true }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const spans = await traces.spansOf(traceId, 3);
    const server = spans.find((s) => s.kind === SERVER && s.service === "mindgw-gateway-test");
    const attempt = spans.find((s) => s.kind === CLIENT);
    const hop = spans.find((s) => s.service === "mindgw-worker-test");
    expect(server?.parentSpanId).toBe(callerSpan);
    expect(attempt?.parentSpanId).toBe(server?.spanId ?? "-");
    expect(attempt?.attributes["mindgw.route"]).toBe("worker:w-trace");
    expect(hop).toMatchObject({
      kind: SERVER,
      name: "chat fake-model",
      parentSpanId: attempt?.spanId ?? "-",
    });
    expect(hop?.attributes).toMatchObject({
      "gen_ai.request.model": "fake-model",
      "mindgw.worker.name": "w-trace",
      "http.response.status_code": 200,
    });
    expect(fx.fake.requests.map((r) => r.headers.traceparent)).toEqual([
      traceparent(traceId, hop?.spanId ?? ""),
    ]);
  });

  test("through a worker, an upstream's 5xx is the hop's error, its type the status; a cancel marks the hop", async () => {
    const failedTrace = hex(16);
    fx.fake.reset();
    fx.fake.enqueue({ status: 500 });
    const failed = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(failedTrace, hex(8)) },
      body: chatBody("m-worker"),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await failed.text();
    const [hop] = (await traces.spansOf(failedTrace, 3)).filter((s) => s.service === "mindgw-worker-test");
    expect(hop).toMatchObject({ statusCode: 2 });
    expect(hop?.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "500" });
    // A client that leaves mid-stream: the gateway cancels the call, and the hop says so.
    const cancelledTrace = hex(16);
    const leaving = new AbortController();
    const streamed = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(cancelledTrace, hex(8)) },
      body: chatBody("m-worker", "a b c d e f g h [[fake:chunk-delay=200]]", { stream: true }),
      signal: leaving.signal,
    });
    const reader = streamed.body?.getReader();
    await reader?.read();
    leaving.abort();
    await reader?.cancel().catch(() => undefined);
    const cancelledHop = await waitFor("the cancelled hop", () =>
      traces.receiver.spans.find((s) => s.traceId === cancelledTrace && s.service === "mindgw-worker-test"),
    );
    expect(cancelledHop.attributes["error.type"]).toBe("cancelled");
    expect(cancelledHop.statusCode).toBe(0);
    // The gateway's own span of that call: unset too, as the server span of the request's 499.
    const cancelledAttempt = await waitFor("the cancelled call's attempt span", () =>
      traces.receiver.spans.find(
        (s) => s.traceId === cancelledTrace && s.service === "mindgw-gateway-test" && s.kind === CLIENT,
      ),
    );
    expect(cancelledAttempt.attributes["error.type"]).toBe("client_closed");
    expect(cancelledAttempt.statusCode).toBe(0);
  });

  test("a span's resource names the process, never its command line: no worker --token, no gateway argv", async () => {
    const traceId = hex(16);
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-worker"),
    });
    expect(res.status).toBe(200);
    const spans = await traces.spansOf(traceId, 3);
    const services = new Set(spans.map((s) => s.service));
    expect(services).toEqual(new Set(["mindgw-gateway-test", "mindgw-worker-test"]));
    // Every span either process exported so far, this request's and the earlier tests'.
    for (const { resource } of traces.receiver.spans) {
      const text = JSON.stringify(resource);
      expect(text).not.toContain(traces.workerToken);
      expect(text).not.toContain("--token");
      expect(text).not.toContain(fx.gw.configPath);
      expect(resource["process.command_args"]).toBeUndefined();
      expect(resource["process.command_line"]).toBeUndefined();
      // The process is still named, and by the runtime it runs on.
      expect(typeof resource["process.pid"]).toBe("number");
      expect(resource["process.runtime.name"]).toBe("bun");
    }
  });
});
