import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { CLIENT, hex, JWT, SERVER, traceparent, tracesFixture } from "./harness/traces-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Traces through the compiled binaries, exported over OTLP/HTTP to a receiver in this test:
// the client's trace id is continued by the gateway's server span, each upstream attempt is a
// client span (failover visible), the worker's span joins over the tunnel, and every upstream
// sees a `traceparent` naming the span that called it, with the caller's `tracestate` beside it.
// Here: the span tree of a call, its ids, names and attributes.

const traces = tracesFixture({ worker: false });
const { fx } = traces;

describe("traces: OTLP export", () => {
  test("a direct call: server span under the client's trace, one client span per attempt, failover visible", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    fx.fake.reset();
    fx.fake.enqueue({ status: 500 });
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        ...bearer(traces.key),
        traceparent: traceparent(traceId, callerSpan),
        "x-request-id": "trace-direct",
      },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(200);
    const spans = await traces.spansOf(traceId, 3);
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
    const seen = fx.fake.requests.map((r) => r.headers.traceparent);
    expect(seen).toEqual([
      traceparent(traceId, failed?.spanId ?? ""),
      traceparent(traceId, served?.spanId ?? ""),
    ]);
  });

  test("a request with no trace of the caller's and an id the gateway made: the trace id is that id without `req_`", async () => {
    const call = async (headers: Record<string, string>) => {
      fx.fake.reset();
      const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(traces.key), ...headers },
        body: chatBody("m-oa"),
      });
      expect(res.status).toBe(200);
      return {
        requestId: res.headers.get("x-request-id") ?? "",
        sent: fx.fake.requests[0]?.headers.traceparent,
      };
    };
    const made = await call({});
    expect(made.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    const traceId = made.requestId.slice(4);
    const spans = await traces.spansOf(traceId, 2);
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
      const found = traces.receiver.spans.filter((s) => s.traceId === givenTrace && s.kind === SERVER);
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
      const res = await fetch(`${fx.gw.url}${path}`, {
        method: "POST",
        headers: {
          ...bearer(traces.key),
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
      const spans = await traces.spansOf(traceId, 2);
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

  test("a refused request still has its server span, marked with the status and no error status", async () => {
    const traceId = hex(16);
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer("mgw_notakeynotakeynotakey"), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(401);
    const [span] = await traces.spansOf(traceId, 1);
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
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(traces.key), traceparent: traceparent(traceId, hex(8)) },
      body: chatBody(traces.key),
    });
    expect(res.status).toBe(404);
    const [span] = await traces.spansOf(traceId, 1);
    expect(span?.name).toBe("chat [redacted]");
    expect(span?.attributes["gen_ai.request.model"]).toBe("[redacted]");
    expect(JSON.stringify(span)).not.toContain(traces.key);
  });

  test("a JWT caller is named on its span by its subject id, never as the key its name claim matches", async () => {
    const alice = await createKey(fx.gw, { name: "alice" });
    const jwt = await new SignJWT({ sub: "alice", iss: JWT.issuer, aud: JWT.audience })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(JWT.secret));
    const callerOf = async (token: string) => {
      const traceId = hex(16);
      const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(token), traceparent: traceparent(traceId, hex(8)) },
        body: chatBody("m-oa"),
      });
      expect(res.status).toBe(200);
      const spans = await traces.spansOf(traceId, 2);
      return spans.find((s) => s.kind === SERVER)?.attributes["mindgw.key.name"];
    };
    // As the access line's `key` and every other view show them (SECURITY.md).
    expect(await callerOf(jwt)).toBe("jwt:default:alice");
    expect(await callerOf(alice.key)).toBe("alice");
  });

  test("a client span per call sent upstream: none for a route passed over, the gateway's estimate or a translation's refusal", async () => {
    const call = async (path: string, body: object) => {
      const traceId = hex(16);
      fx.fake.reset();
      const res = await fetch(`${fx.gw.url}${path}`, {
        method: "POST",
        headers: {
          ...bearer(traces.key),
          "anthropic-version": "2023-06-01",
          traceparent: traceparent(traceId, hex(8)),
        },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      // A request's spans are exported together, its server span last: once it is in, all are.
      const spans = await waitFor(`the server span of trace ${traceId}`, () => {
        const spans = traces.receiver.spans.filter((s) => s.traceId === traceId);
        return spans.some((s) => s.kind === SERVER) ? spans : undefined;
      });
      const server = spans.find((s) => s.kind === SERVER);
      const clients = spans.filter((s) => s.kind === CLIENT);
      return { status: res.status, sent: fx.fake.requests.length, server, clients };
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
});
