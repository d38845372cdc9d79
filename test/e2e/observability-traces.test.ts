import { beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import WebSocket from "ws";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./harness/otlp-receiver.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// Traces through the compiled binaries, exported over OTLP/HTTP to a receiver in this test:
// the client's trace id is continued by the gateway's server span, each upstream attempt is a
// client span (failover visible), the worker's span joins over the tunnel, and every upstream
// sees a `traceparent` naming the span that called it, with the caller's `tracestate` beside it.

const otelEnv = (receiver: OtlpReceiver, service: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_SERVICE_NAME: service,
  OTEL_TRACES_SAMPLER: "parentbased_always_on",
  OTEL_BSP_SCHEDULE_DELAY: "50",
});

let receiver: OtlpReceiver;
let fake: FakeUpstream;
let gw: GatewayProcess;
let key: string;
/** The worker's `--token`, on its command line. */
let workerToken: string;

const SERVER = 2;
const CLIENT = 3;
/** JWT callers, whose name claim (`sub`) a user may choose: one may read as a key's name. */
const JWT = {
  secret: "a-shared-secret-for-the-trace-tests-0123",
  issuer: "https://idp.test",
  audience: "mindgw",
};

const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;
/** A caller's trace state, as clients send it (a space after the comma)… */
const CALLER_STATE = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
/** …and as a traced hop sends it on, written again as the OpenTelemetry SDK's propagator writes it. */
const WRITTEN_STATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
/** Malformed (a key twice): ignored whole. */
const BAD_STATE = "congo=1,congo=2";
/** What each upstream request carried of the trace context. */
const sentContext = () => fake.requests.map((r) => [r.headers.traceparent, r.headers.tracestate]);
const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
  return waitFor(`${count} spans of trace ${traceId}`, () => {
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    return spans.length >= count ? spans : undefined;
  });
}

const fx = gatewayFixture({
  env: ({ own }) => {
    receiver = own(startOtlpReceiver());
    return otelEnv(receiver, "mindgw-gateway-test");
  },
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => configFor(fake.url),
});

function configFor(fakeUrl: string) {
  return {
    providers: [
      ...["fake-a", "fake-b"].map((name) => ({ name, type: "openai", base_url: `${fakeUrl}/v1` })),
      // Nothing listens on port 1: a shadow copy sent there fails at once.
      { name: "unreachable", type: "openai", base_url: "http://127.0.0.1:1/v1" },
      { name: "fake-an", type: "anthropic", base_url: fakeUrl },
    ],
    models: [
      {
        name: "m-direct",
        routes: [
          { provider: "fake-a", model: "fake-model" },
          { provider: "fake-b", model: "fake-model" },
        ],
      },
      { name: "m-worker", routes: [{ provider: "workers", model: "fake-model" }] },
      // count_tokens: an OpenAI-type route cannot serve it (passed over), an Anthropic one can.
      {
        name: "m-count",
        routes: [
          { provider: "fake-a", model: "fake-model" },
          { provider: "fake-an", model: "claude-fake" },
        ],
      },
      { name: "m-oa", routes: [{ provider: "fake-a", model: "fake-model" }] },
      {
        name: "m-shadowed",
        routes: [{ provider: "fake-a", model: "fake-model" }],
        shadow: { provider: "fake-b", model: "bench-model", sample: 1 },
      },
      {
        name: "m-shadow-worker",
        routes: [{ provider: "fake-a", model: "fake-model" }],
        shadow: { provider: "workers", model: "fake-model", sample: 1 },
      },
      {
        name: "m-shadow-down",
        routes: [{ provider: "fake-a", model: "fake-model" }],
        shadow: { provider: "unreachable", model: "bench-model", sample: 1 },
      },
    ],
    routing: { retries: 0 },
    auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { name: "sub" } } },
  };
}

beforeAll(async () => {
  ({ fake, gw } = fx);
  key = gw.adminKey ?? "";
  ({ token: workerToken } = await connectFleet(fx, [
    {
      upstream: `${fake.url}/v1`,
      name: "w-trace",
      models: ["fake-model"],
      env: otelEnv(receiver, "mindgw-worker-test"),
    },
  ]));
}, 60_000);

describe("traces: OTLP export", () => {
  test("a direct call: server span under the client's trace, one client span per attempt, failover visible", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    fake.reset();
    fake.enqueue({ status: 500 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        ...bearer(key),
        traceparent: traceparent(traceId, callerSpan),
        "x-request-id": "trace-direct",
      },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(200);
    const spans = await spansOf(traceId, 3);
    const server = spans.find((s) => s.kind === SERVER);
    expect(server).toMatchObject({
      service: "mindgw-gateway-test",
      name: "chat m-direct",
      parentSpanId: callerSpan,
      statusCode: 0,
    });
    expect(server?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "m-direct",
      "gen_ai.response.model": "fake-model",
      "gen_ai.provider.name": "openai",
      "gen_ai.usage.input_tokens": 2,
      "gen_ai.usage.output_tokens": 3,
      "http.response.status_code": 200,
      "mindgw.request_id": "trace-direct",
      "mindgw.route": "provider:fake-b",
    });
    const attempts = spans.filter((s) => s.kind === CLIENT);
    expect(attempts).toHaveLength(2);
    const [failed, served] = [
      attempts.find((s) => s.attributes["mindgw.route"] === "provider:fake-a"),
      attempts.find((s) => s.attributes["mindgw.route"] === "provider:fake-b"),
    ];
    for (const attempt of [failed, served]) {
      expect(attempt?.parentSpanId).toBe(server?.spanId ?? "-");
      expect(attempt?.name).toBe("chat fake-model");
      expect(attempt?.attributes["gen_ai.request.model"]).toBe("fake-model");
    }
    expect(failed).toMatchObject({ statusCode: 2 });
    expect(failed?.attributes).toMatchObject({
      "error.type": "upstream_error",
      "mindgw.attempt.failover": false,
    });
    expect(served).toMatchObject({ statusCode: 0 });
    expect(served?.attributes["mindgw.attempt.failover"]).toBe(true);
    // The attempt that answered says what it used and which model answered; the failed one neither.
    expect(served?.attributes).toMatchObject({
      "gen_ai.response.model": "fake-model",
      "gen_ai.usage.input_tokens": 2,
      "gen_ai.usage.output_tokens": 3,
    });
    for (const name of ["gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"])
      expect(failed?.attributes[name]).toBeUndefined();
    // Each upstream request names the attempt span that made it.
    const seen = fake.requests.map((r) => r.headers.traceparent);
    expect(seen).toEqual([
      traceparent(traceId, failed?.spanId ?? ""),
      traceparent(traceId, served?.spanId ?? ""),
    ]);
  });

  test("a request with no trace of the caller's and an id the gateway made: the trace id is that id without `req_`", async () => {
    const call = async (headers: Record<string, string>) => {
      fake.reset();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(key), ...headers },
        body: chatBody("m-oa"),
      });
      expect(res.status).toBe(200);
      return {
        requestId: res.headers.get("x-request-id") ?? "",
        sent: fake.requests[0]?.headers.traceparent,
      };
    };
    const made = await call({});
    expect(made.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    const traceId = made.requestId.slice(4);
    const spans = await spansOf(traceId, 2);
    const server = spans.find((s) => s.kind === SERVER);
    expect(server?.attributes["mindgw.request_id"]).toBe(made.requestId);
    expect(server?.parentSpanId).toBe("");
    const attempt = spans.find((s) => s.kind === CLIENT);
    expect(made.sent).toBe(traceparent(traceId, attempt?.spanId ?? "-"));
    // A caller's own id, even one shaped like the gateway's, names no trace: a retry may send it again.
    const own = `req_${hex(16)}`;
    const given = await call({ "x-request-id": own });
    expect(given.requestId).toBe(own);
    const givenTrace = given.sent?.split("-")[1] ?? "";
    const [givenServer] = await waitFor("the given id's server span", () => {
      const found = receiver.spans.filter((s) => s.traceId === givenTrace && s.kind === SERVER);
      return found.length > 0 ? found : undefined;
    });
    expect(givenServer?.attributes["mindgw.request_id"]).toBe(own);
    expect(givenTrace).not.toBe(own.slice(4));
    // The caller's trace goes on, whoever made the id.
    const callerTrace = hex(16);
    const inTrace = await call({ traceparent: traceparent(callerTrace, hex(8)) });
    expect(inTrace.requestId).toMatch(/^req_/);
    expect(inTrace.sent?.split("-")[1]).toBe(callerTrace);
  });

  test("gen_ai.response.model is the model that answered (OpenAI's dated name), on the server span and the attempt's, whole or streamed, passed through or translated", async () => {
    const text = "hello there [[fake:answer-model=fake-model-2024-07-18]]";
    for (const [path, stream] of [
      ["/v1/chat/completions", false],
      ["/v1/chat/completions", true],
      ["/v1/messages", false],
      ["/v1/messages", true],
    ] as const) {
      const traceId = hex(16);
      const res = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: {
          ...bearer(key),
          "anthropic-version": "2023-06-01",
          traceparent: traceparent(traceId, hex(8)),
        },
        // A stream's usage (and the model beside it) the gateway asks for itself: the client did not.
        body: JSON.stringify({
          model: "m-oa",
          max_tokens: 50,
          stream,
          messages: [{ role: "user", content: text }],
        }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const spans = await spansOf(traceId, 2);
      const server = spans.find((s) => s.kind === SERVER);
      const attempt = spans.find((s) => s.kind === CLIENT);
      expect(server?.attributes).toMatchObject({
        "gen_ai.request.model": "m-oa",
        "gen_ai.response.model": "fake-model-2024-07-18",
      });
      const used = [
        server?.attributes["gen_ai.usage.input_tokens"],
        server?.attributes["gen_ai.usage.output_tokens"],
      ];
      expect(used.every((n) => typeof n === "number" && n > 0)).toBe(true);
      expect(attempt?.attributes).toMatchObject({
        "gen_ai.request.model": "fake-model",
        "gen_ai.response.model": "fake-model-2024-07-18",
        "gen_ai.usage.input_tokens": used[0],
        "gen_ai.usage.output_tokens": used[1],
      });
    }
  });

  test("a shadow copy is a client span of its own under the server span, marked, its upstream told of it; a failed one is in error", async () => {
    const call = async (model: string) => {
      const traceId = hex(16);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(key), traceparent: traceparent(traceId, hex(8)) },
        body: chatBody(model),
      });
      expect(res.status).toBe(200);
      const spans = await spansOf(traceId, 3);
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
    fake.reset();
    const answered = await call("m-shadowed");
    expect(answered.copy).toMatchObject({ statusCode: 0 });
    expect(answered.copy?.attributes["mindgw.route"]).toBe("provider:fake-b");
    // Each upstream request names the span that made it: the attempt's, and the copy's.
    const sentFor = (model: string) =>
      fake.requests.find((r) => (r.body as { model?: string }).model === model)?.headers.traceparent;
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
    fake.reset();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-shadow-worker"),
    });
    expect(res.status).toBe(200);
    const spans = await spansOf(traceId, 4);
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
        fake.requests.some((r) => r.headers.traceparent === traceparent(traceId, hop?.spanId ?? "-")) ||
        undefined,
    );
  });

  test("attempt metrics are counted by traced attempts, sampled or not; an unsampled caller's trace goes on, unsampled", async () => {
    const counts = async () => {
      const res = await fetch(`${gw.url}/metrics`, { headers: bearer(key) });
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
      fake.reset();
      fake.enqueue({ status: 500 });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(key), traceparent: parent },
        body: chatBody("m-direct"),
      });
      expect(res.status).toBe(200);
      return fake.requests.map((r) => r.headers.traceparent);
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
    fake.reset();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(traceId, callerSpan) },
      body: chatBody("m-worker", "hello there", { stream: true }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const spans = await spansOf(traceId, 3);
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
    expect(fake.requests.map((r) => r.headers.traceparent)).toEqual([
      traceparent(traceId, hop?.spanId ?? ""),
    ]);
  });

  test("through a worker, an upstream's 5xx is the hop's error, its type the status; a cancel marks the hop", async () => {
    const failedTrace = hex(16);
    fake.reset();
    fake.enqueue({ status: 500 });
    const failed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(failedTrace, hex(8)) },
      body: chatBody("m-worker"),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await failed.text();
    const [hop] = (await spansOf(failedTrace, 3)).filter((s) => s.service === "mindgw-worker-test");
    expect(hop).toMatchObject({ statusCode: 2 });
    expect(hop?.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "500" });
    // A client that leaves mid-stream: the gateway cancels the call, and the hop says so.
    const cancelledTrace = hex(16);
    const leaving = new AbortController();
    const streamed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(cancelledTrace, hex(8)) },
      body: chatBody("m-worker", "a b c d e f g h [[fake:chunk-delay=200]]", { stream: true }),
      signal: leaving.signal,
    });
    const reader = streamed.body?.getReader();
    await reader?.read();
    leaving.abort();
    await reader?.cancel().catch(() => undefined);
    const cancelledHop = await waitFor("the cancelled hop", () =>
      receiver.spans.find((s) => s.traceId === cancelledTrace && s.service === "mindgw-worker-test"),
    );
    expect(cancelledHop.attributes["error.type"]).toBe("cancelled");
    expect(cancelledHop.statusCode).toBe(0);
    // The gateway's own span of that call: unset too, as the server span of the request's 499.
    const cancelledAttempt = await waitFor("the cancelled call's attempt span", () =>
      receiver.spans.find(
        (s) => s.traceId === cancelledTrace && s.service === "mindgw-gateway-test" && s.kind === CLIENT,
      ),
    );
    expect(cancelledAttempt.attributes["error.type"]).toBe("client_closed");
    expect(cancelledAttempt.statusCode).toBe(0);
  });

  test("a span's resource names the process, never its command line: no worker --token, no gateway argv", async () => {
    const traceId = hex(16);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-worker"),
    });
    expect(res.status).toBe(200);
    const spans = await spansOf(traceId, 3);
    const services = new Set(spans.map((s) => s.service));
    expect(services).toEqual(new Set(["mindgw-gateway-test", "mindgw-worker-test"]));
    // Every span either process exported so far, this request's and the earlier tests'.
    for (const { resource } of receiver.spans) {
      const text = JSON.stringify(resource);
      expect(text).not.toContain(workerToken);
      expect(text).not.toContain("--token");
      expect(text).not.toContain(gw.configPath);
      expect(resource["process.command_args"]).toBeUndefined();
      expect(resource["process.command_line"]).toBeUndefined();
      // The process is still named, and by the runtime it runs on.
      expect(typeof resource["process.pid"]).toBe("number");
      expect(resource["process.runtime.name"]).toBe("bun");
    }
  });

  test("a refused request still has its server span, marked with the status and no error status", async () => {
    const traceId = hex(16);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer("mgw_notakeynotakeynotakey"), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(401);
    const [span] = await spansOf(traceId, 1);
    // Refused before its model was read: named by its operation alone, as the GenAI conventions have it.
    expect(span?.name).toBe("chat");
    expect(span?.attributes["gen_ai.request.model"]).toBeUndefined();
    expect(span?.attributes).toMatchObject({
      "http.response.status_code": 401,
      "error.type": "unauthorized",
    });
    expect(span?.statusCode).toBe(0);
  });

  test("a credential sent as the model names no span: its name and gen_ai.request.model have it redacted", async () => {
    const traceId = hex(16);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody(key),
    });
    expect(res.status).toBe(404);
    const [span] = await spansOf(traceId, 1);
    expect(span?.name).toBe("chat [redacted]");
    expect(span?.attributes["gen_ai.request.model"]).toBe("[redacted]");
    expect(JSON.stringify(span)).not.toContain(key);
  });

  test("a JWT caller is named on its span by its subject id, never as the key its name claim matches", async () => {
    const alice = await createKey(gw, { name: "alice" });
    const jwt = await new SignJWT({ sub: "alice", iss: JWT.issuer, aud: JWT.audience })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(JWT.secret));
    const callerOf = async (token: string) => {
      const traceId = hex(16);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(token), traceparent: traceparent(traceId, hex(8)) },
        body: chatBody("m-oa"),
      });
      expect(res.status).toBe(200);
      const spans = await spansOf(traceId, 2);
      return spans.find((s) => s.kind === SERVER)?.attributes["mindgw.key.name"];
    };
    // As the access line's `key` and every other view show them (SECURITY.md).
    expect(await callerOf(jwt)).toBe("jwt:default:alice");
    expect(await callerOf(alice.key)).toBe("alice");
  });

  test("a client span per call sent upstream: none for a route passed over, the gateway's estimate or a translation's refusal", async () => {
    const call = async (path: string, body: object) => {
      const traceId = hex(16);
      fake.reset();
      const res = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: {
          ...bearer(key),
          "anthropic-version": "2023-06-01",
          traceparent: traceparent(traceId, hex(8)),
        },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      // A request's spans are exported together, its server span last: once it is in, all are.
      const spans = await waitFor(`the server span of trace ${traceId}`, () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId);
        return spans.some((s) => s.kind === SERVER) ? spans : undefined;
      });
      const server = spans.find((s) => s.kind === SERVER);
      const clients = spans.filter((s) => s.kind === CLIENT);
      return { status: res.status, sent: fake.requests.length, server, clients };
    };
    const messages = [{ role: "user", content: "hello there" }];

    const passedOver = await call("/v1/messages/count_tokens", { model: "m-count", messages });
    expect([passedOver.status, passedOver.sent, passedOver.clients.length]).toEqual([200, 1, 1]);
    expect(passedOver.clients[0]?.attributes).toMatchObject({
      "mindgw.route": "provider:fake-an",
      "mindgw.attempt.failover": false,
    });
    expect(passedOver.clients[0]?.statusCode).not.toBe(2);

    const estimated = await call("/v1/messages/count_tokens", { model: "m-oa", messages });
    expect([estimated.status, estimated.sent, estimated.clients.length]).toEqual([200, 0, 0]);
    // Answered by the gateway itself: no upstream model or route on the request's span.
    expect(estimated.server?.attributes["gen_ai.response.model"]).toBeUndefined();
    expect(estimated.server?.attributes["mindgw.route"]).toBeUndefined();

    const refused = await call("/v1/responses", { model: "m-oa", input: "x", max_output_tokens: "lots" });
    expect([refused.status, refused.sent, refused.clients.length]).toEqual([400, 0, 0]);
  });

  test("reading a stored response is no generation: its span is `mindgw stored_responses`, no GenAI operation", async () => {
    const created = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: bearer(key),
      body: JSON.stringify({ model: "m-direct", input: "keep this" }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const traceId = hex(16);
    const read = await fetch(`${gw.url}/v1/responses/${id}`, {
      headers: { ...bearer(key), traceparent: traceparent(traceId, hex(8)) },
    });
    expect(read.status).toBe(200);
    await read.arrayBuffer();
    const [span] = await spansOf(traceId, 1);
    expect(span?.name).toBe("mindgw stored_responses");
    expect(span?.kind).toBe(SERVER);
    expect(span?.attributes).toMatchObject({
      "mindgw.front_door": "stored_responses",
      "http.response.status_code": 200,
    });
    expect(span?.attributes["gen_ai.operation.name"]).toBeUndefined();
  });

  test("Responses WebSocket turns: each a chat span under the upgrade's trace, or under the turn's own from client_metadata", async () => {
    const [upgradeTrace, upgradeSpan, turnTrace, turnSpan] = [hex(16), hex(8), hex(16), hex(8)];
    // The `ws` package (the OpenAI SDK's socket), for the upgrade's own headers.
    const socket = new WebSocket(`${gw.url.replace(/^http/, "ws")}/v1/responses`, {
      headers: { ...bearer(key), traceparent: traceparent(upgradeTrace, upgradeSpan) },
    });
    const events: { type: string }[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data))));
    await waitFor("the socket open", () => (socket.readyState === WebSocket.OPEN ? true : undefined));
    const turn = async (event: object) => {
      const done = events.filter((e) => e.type === "response.completed").length + 1;
      socket.send(JSON.stringify({ type: "response.create", model: "m-direct", ...event }));
      await waitFor("the turn's end", () =>
        events.filter((e) => e.type === "response.completed").length === done ? true : undefined,
      );
    };
    fake.reset();
    await turn({ input: "under the upgrade's trace" });
    await turn({
      input: "under its own",
      client_metadata: { ws_request_header_traceparent: traceparent(turnTrace, turnSpan) },
    });
    socket.close();
    const upgrade = await spansOf(upgradeTrace, 3);
    expect(upgrade.find((s) => s.name === "mindgw responses_socket")).toMatchObject({
      kind: SERVER,
      parentSpanId: upgradeSpan,
      attributes: { "http.response.status_code": 101 },
    });
    expect(upgrade.find((s) => s.name === "chat m-direct")).toMatchObject({
      kind: SERVER,
      parentSpanId: upgradeSpan,
    });
    const own = await spansOf(turnTrace, 2);
    const server = own.find((s) => s.kind === SERVER);
    expect(server).toMatchObject({ name: "chat m-direct", parentSpanId: turnSpan });
    expect(own.find((s) => s.kind === CLIENT)?.parentSpanId).toBe(server?.spanId);
    expect(fake.requests.map((r) => r.headers.traceparent?.split("-")[1])).toEqual([upgradeTrace, turnTrace]);
  });

  test("over OTLP/protobuf, the default protocol, the same tree and attributes arrive", async () => {
    const protobufReceiver = startOtlpReceiver();
    fx.deferTest(() => protobufReceiver.stop());
    const { OTEL_EXPORTER_OTLP_PROTOCOL: _json, ...env } = otelEnv(protobufReceiver, "mindgw-proto-test");
    const proto = await fx.spawn({ env, config: configFor(fake.url) });
    const traceId = hex(16);
    const callerSpan = hex(8);
    fake.reset();
    const res = await fetch(`${proto.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        ...bearer(proto.adminKey ?? ""),
        traceparent: traceparent(traceId, callerSpan),
        tracestate: CALLER_STATE,
        "x-request-id": "trace-proto",
      },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(200);
    const spans = await waitFor("the protobuf export", () => {
      const found = protobufReceiver.spans.filter((s) => s.traceId === traceId);
      return found.length >= 2 ? found : undefined;
    });
    expect(protobufReceiver.protobufExports).toBeGreaterThan(0);
    const server = spans.find((s) => s.kind === SERVER);
    const attempt = spans.find((s) => s.kind === CLIENT);
    expect(server).toMatchObject({
      service: "mindgw-proto-test",
      name: "chat m-direct",
      parentSpanId: callerSpan,
    });
    expect(server?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.usage.input_tokens": 2,
      "http.response.status_code": 200,
      "mindgw.request_id": "trace-proto",
      "mindgw.stream": false,
    });
    expect(attempt).toMatchObject({ name: "chat fake-model", parentSpanId: server?.spanId ?? "-" });
    expect(attempt?.attributes).toMatchObject({
      "mindgw.route": "provider:fake-a",
      "mindgw.attempt.retry": 0,
    });
    // The trace state, written by the export thread's own encoder (no library serialiser for it).
    expect([server?.traceState, attempt?.traceState]).toEqual([WRITTEN_STATE, WRITTEN_STATE]);
    expect(sentContext()).toEqual([[traceparent(traceId, attempt?.spanId ?? ""), WRITTEN_STATE]]);
    // An id the gateway made is the trace's, and its attribute is written from the trace id.
    const made = await fetch(`${proto.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(proto.adminKey ?? ""),
      body: chatBody("m-direct"),
    });
    expect(made.status).toBe(200);
    const requestId = made.headers.get("x-request-id") ?? "";
    const [madeServer] = await waitFor("the made id's server span", () => {
      const found = protobufReceiver.spans.filter(
        (s) => s.traceId === requestId.slice(4) && s.kind === SERVER,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(madeServer?.attributes["mindgw.request_id"]).toBe(requestId);
  });
});

describe("traces: message content (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)", () => {
  /** The server span of a call made under a fresh trace, and what the call answered. */
  async function traced(url: string, apiKey: string, path: string, body: object) {
    const traceId = hex(16);
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: {
        ...bearer(apiKey),
        "anthropic-version": "2023-06-01",
        traceparent: traceparent(traceId, hex(8)),
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const answer = await res.text();
    const spans = await spansOf(traceId, 2);
    const server = spans.find((s) => s.kind === SERVER);
    const attribute = (name: string) => {
      const value = server?.attributes[name];
      return typeof value === "string" ? JSON.parse(value) : value;
    };
    return { answer, attribute };
  }

  /** The text of a stream's deltas, read from its wire text as a client would. */
  const streamedText = (wire: string, pick: (event: Record<string, unknown>) => unknown) =>
    wire
      .split("\n")
      .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
      .map((line) => pick(JSON.parse(line.slice(6))))
      .filter((text) => typeof text === "string")
      .join("");

  test("prompts and answers are GenAI messages, whole or streamed, in either dialect, credentials redacted", async () => {
    const captured = await fx.spawn({
      env: {
        ...otelEnv(receiver, "mindgw-content-test"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      },
      config: { ...configFor(fake.url), audit: { bodies: true } },
    });
    const apiKey = captured.adminKey ?? "";
    const secret = "sk-abcdefghijklmnopqrstuvwxyz0123";
    // The fake upstream echoes the prompt: the key is in the answer too, and redacted there too.
    const redacted = (text: string) => text.replaceAll(secret, "[redacted]");
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: `my key is ${secret}, say hi` },
    ];

    const whole = await traced(captured.url, apiKey, "/v1/chat/completions", { model: "m-direct", messages });
    expect(whole.attribute("gen_ai.input.messages")).toEqual([
      { role: "system", parts: [{ type: "text", content: "Be brief." }] },
      { role: "user", parts: [{ type: "text", content: "my key is [redacted], say hi" }] },
    ]);
    const text = (JSON.parse(whole.answer) as { choices: { message: { content: string } }[] }).choices[0]
      ?.message.content;
    expect(text).toContain(secret);
    expect(whole.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: redacted(text ?? "") }], finish_reason: "stop" },
    ]);
    expect(whole.attribute("gen_ai.system_instructions")).toBeUndefined();

    const streamed = await traced(captured.url, apiKey, "/v1/chat/completions", {
      model: "m-direct",
      messages,
      stream: true,
    });
    const deltas = streamedText(streamed.answer, (chunk) => {
      const [choice] = chunk.choices as { delta: { content?: string } }[];
      return choice?.delta.content;
    });
    expect(deltas.length).toBeGreaterThan(0);
    expect(streamed.attribute("gen_ai.input.messages")).toEqual(whole.attribute("gen_ai.input.messages"));
    expect(streamed.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: redacted(deltas) }], finish_reason: "stop" },
    ]);

    // Anthropic's dialect, translated from the OpenAI upstream: `system` apart, the stream's message.
    const anthropic = await traced(captured.url, apiKey, "/v1/messages", {
      model: "m-direct",
      max_tokens: 64,
      system: "Be brief.",
      messages: [{ role: "user", content: "say hi" }],
      stream: true,
    });
    const blocks = streamedText(anthropic.answer, (event) =>
      event.type === "content_block_delta" ? (event.delta as { text?: string }).text : undefined,
    );
    expect(blocks.length).toBeGreaterThan(0);
    expect(anthropic.attribute("gen_ai.system_instructions")).toEqual([
      { type: "text", content: "Be brief." },
    ]);
    expect(anthropic.attribute("gen_ai.input.messages")).toEqual([
      { role: "user", parts: [{ type: "text", content: "say hi" }] },
    ]);
    expect(anthropic.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: blocks }], finish_reason: "stop" },
    ]);
  });

  test("asked for without audit.bodies: one warning at start says why nothing is captured", async () => {
    const bare = await fx.spawn({
      env: {
        ...otelEnv(receiver, "mindgw-no-bodies"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      },
      config: configFor(fake.url),
    });
    const said = (text: string) => bare.stderr.all.split("\n").filter((line) => line.includes(text));
    await waitFor("the start's warning", () => said("captures nothing").length > 0);
    expect(said("captures nothing")).toHaveLength(1);
    expect(said("captures nothing")[0]).toContain(
      " warn OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true captures nothing: spans take prompts and answers from the bodies the audit keeps, and audit.bodies is false; set audit.bodies: true to capture them",
    );
  });
});

describe("traces: the caller's tracestate", () => {
  const call = (url: string, apiKey: string, model: string, headers: Record<string, string>) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(apiKey), ...headers },
      body: chatBody(model),
    });

  test("traced: every span carries the caller's trace state, and each upstream gets it beside the traceparent, direct and through a worker", async () => {
    for (const [model, spanCount] of [
      ["m-direct", 2],
      ["m-worker", 3],
    ] as const) {
      const traceId = hex(16);
      fake.reset();
      const res = await call(gw.url, key, model, {
        traceparent: traceparent(traceId, hex(8)),
        tracestate: CALLER_STATE,
      });
      expect(res.status).toBe(200);
      await res.text();
      // The server span, the attempt's client span, and through a worker the worker's hop span.
      const spans = await spansOf(traceId, spanCount);
      expect(spans.map((s) => [s.kind, s.traceState])).toEqual(spans.map((s) => [s.kind, WRITTEN_STATE]));
      expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(1);
      // The upstream's caller: the attempt's span, or the worker's hop.
      const caller = spans.find((s) =>
        model === "m-direct" ? s.kind === CLIENT : s.service === "mindgw-worker-test",
      );
      expect(sentContext()).toEqual([[traceparent(traceId, caller?.spanId ?? "-"), WRITTEN_STATE]]);
    }
  });

  test("traced: a malformed tracestate, or one without a traceparent, reaches no span and no upstream; a well-formed one does", async () => {
    for (const model of ["m-direct", "m-worker"]) {
      const [good, bad] = [hex(16), hex(16)];
      fake.reset();
      const sends: Record<string, string>[] = [
        { traceparent: traceparent(good, hex(8)), tracestate: CALLER_STATE },
        { traceparent: traceparent(bad, hex(8)), tracestate: BAD_STATE },
        { tracestate: CALLER_STATE },
      ];
      for (const headers of sends) {
        const res = await call(gw.url, key, model, headers);
        expect(res.status).toBe(200);
        await res.text();
      }
      const spans = await spansOf(bad, model === "m-direct" ? 2 : 3);
      expect(spans.map((s) => s.traceState)).toEqual(spans.map(() => ""));
      // Each went on with the gateway's traceparent (a new trace for the last), only the first with a tracestate.
      const sent = sentContext();
      expect(sent.map(([, state]) => state)).toEqual([WRITTEN_STATE, undefined, undefined]);
      expect(sent.map(([parent]) => parent?.slice(0, 35))).toEqual([
        `00-${good}`,
        `00-${bad}`,
        expect.not.stringMatching(new RegExp(`${good}|${bad}`)),
      ]);
    }
  });

  test("tracing unset: the caller's tracestate reaches the upstream unchanged beside its traceparent, direct and through a worker; a malformed one does not", async () => {
    const untraced = await fx.spawn({ config: configFor(fake.url) });
    await connectFleet({ gw: untraced, defer: (stop) => fx.deferTest(stop) }, [
      { upstream: `${fake.url}/v1`, name: "w-untraced", models: ["fake-model"] },
    ]);
    const apiKey = untraced.adminKey ?? "";
    const parent = traceparent(hex(16), hex(8));
    for (const model of ["m-direct", "m-worker"]) {
      fake.reset();
      const sends: Record<string, string>[] = [
        { traceparent: parent, tracestate: CALLER_STATE },
        { traceparent: parent, tracestate: BAD_STATE },
        { tracestate: CALLER_STATE },
      ];
      for (const headers of sends) {
        const res = await call(untraced.url, apiKey, model, headers);
        expect(res.status).toBe(200);
        await res.text();
      }
      expect(sentContext()).toEqual([
        [parent, CALLER_STATE],
        [parent, undefined],
        [undefined, undefined],
      ]);
    }
  });
});

describe("traces: a collector that refuses them", () => {
  test("lost spans are a burst a line: 'spans dropped' with the collector's answer at the first loss, 'spans delivering again' with the count at recovery, again at the next loss; mindgw_trace_spans_dropped_total counts them all", async () => {
    const collector = fx.own(startOtlpReceiver());
    const lossy = await fx.spawn({
      env: otelEnv(collector, "mindgw-loss-test"),
      config: configFor(fake.url),
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
      config: configFor(fake.url),
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
      config: { ...configFor(fake.url), server: { drain_timeout: "1s" } },
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
