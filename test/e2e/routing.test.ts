import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 2, routing core, through the compiled binary: retries and failover before the first
 * byte only, the circuit breaker, and per-route timeouts. Two fake upstreams, `a` and `b`,
 * whose knobs are queued per fake so each route misbehaves on its own.
 */

const chatCalls = (fake: FakeUpstream) => fake.requests.filter((r) => r.path === "/v1/chat/completions");
const upstreamModels = (fake: FakeUpstream) =>
  chatCalls(fake).map((r) => (r.body as { model: string }).model);
const client = (gw: GatewayProcess) =>
  new OpenAI({ apiKey: gw.adminKey ?? "", baseURL: `${gw.url}/v1`, maxRetries: 0 });
const ask = (text = "hello") => [{ role: "user" as const, content: text }];

/** The newest audit rows for a model, once `count` of them have been written. */
async function auditRows(gw: GatewayProcess, model: string, count: number): Promise<AuditRecord[]> {
  return waitFor(`${count} audit rows for ${model}`, async () => {
    const response = await fetch(`${gw.url}/admin/api/audit?model=${model}`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const body = (await response.json()) as { records: AuditRecord[] };
    return body.records.length >= count ? body.records : undefined;
  });
}

/** Reads a raw SSE response to the end: the `data:` payloads, in order. */
async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .flatMap((frame) => frame.split("\n").filter((line) => line.startsWith("data: ")))
    .map((line) => line.slice("data: ".length));
}

const twoRoutes = (a: FakeUpstream, b: FakeUpstream) => [
  { name: "a", type: "openai", base_url: `${a.url}/v1` },
  { name: "b", type: "openai", base_url: `${b.url}/v1` },
];

describe("retries and failover", () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: GatewayProcess;

  const fx = gatewayFixture({
    fakeRoutes: false,
    config: async (_aUrl, { fake, own }) => {
      a = fake;
      b = own(await startFakeUpstream());
      const model = (name: string) => ({
        name,
        routes: [
          { provider: "a", model: `${name}-a` },
          { provider: "b", model: `${name}-b` },
        ],
      });
      return {
        providers: twoRoutes(a, b),
        models: [
          model("failover"),
          model("exhausted"),
          model("refused"),
          model("midstream"),
          model("creds"),
          model("creds-both"),
          // Renamed on `a`, the client's own name on `b`.
          {
            name: "relay",
            routes: [
              { provider: "a", model: "relay-a" },
              { provider: "b", model: "relay" },
            ],
          },
        ],
        routing: { retries: 2, backoff: "5ms", circuit_breaker: { failures: 50, cooldown: "30s" } },
      };
    },
  });
  beforeAll(() => {
    gw = fx.gw;
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  // Without a Retry-After longer than the backoff (the fake's default on a 503 and a 429 is 1 s),
  // which sends the next try to the next route at once (below).
  const now = { retryAfter: 0 };

  test("a 503 is retried `routing.retries` times, then the next route answers", async () => {
    a.enqueue({ status: 503, ...now }, { status: 503, ...now }, { status: 503, ...now });
    const reply = await client(gw).chat.completions.create({ model: "failover", messages: ask() });
    expect(reply.choices[0]?.message.content).toBeString();
    expect(reply.model).toBe("failover-b");
    // One attempt plus two retries on `a`, then one on `b`: nothing more, nothing less.
    expect(upstreamModels(a)).toEqual(["failover-a", "failover-a", "failover-a"]);
    expect(upstreamModels(b)).toEqual(["failover-b"]);
    const [row] = await auditRows(gw, "failover", 1);
    expect(row).toMatchObject({ route: "provider:b", status: 200 });
  });

  test("the audit record lists every attempt: each retry on the first route, then the failover", async () => {
    a.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    const requestId = `attempts-${crypto.randomUUID()}`;
    await client(gw).chat.completions.create(
      { model: "failover", messages: ask() },
      { headers: { "x-request-id": requestId } },
    );
    const rows = await waitFor("the failed-over request's audit row", async () =>
      (await auditRows(gw, "failover", 1)).find((r) => r.requestId === requestId),
    );
    expect(rows.route).toBe("provider:b");
    const failed = {
      route: "provider:a",
      upstreamModel: "failover-a",
      outcome: "failed",
      status: 500,
      errorClass: "upstream_error",
    };
    expect(rows.attempts).toMatchObject([
      failed,
      failed,
      failed,
      { route: "provider:b", upstreamModel: "failover-b", outcome: "ok", status: null, errorClass: null },
    ]);
    for (const attempt of rows.attempts ?? []) expect(attempt.durationMs).toBeGreaterThan(0);
  });

  test("a stream fails over too, as long as nothing reached the client", async () => {
    a.enqueue({ status: 503, ...now }, { status: 500 }, { status: 429, ...now });
    const stream = await client(gw).chat.completions.create({
      model: "failover",
      messages: ask("stream me"),
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(chatCalls(a)).toHaveLength(3);
    expect(chatCalls(b)).toHaveLength(1);
  });

  test("a failover from a route that renames the model to one of its own name: each upstream its model, the rest as the client sent it", async () => {
    // The request holds the bytes `a` was sent in place of those received (splice-body.ts
    // `splicedFor`): `b`'s are spliced back from them, a stream's usage option forced on both.
    a.enqueue({ status: 503, ...now }, { status: 500 }, { status: 503, ...now });
    const sent = { model: "relay", x_unknown: { k: [1, 2] }, messages: ask("relay me"), stream: true };
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(sent),
    });
    expect(response.status).toBe(200);
    expect((await readSse(response)).at(-1)).toBe("[DONE]");
    const forced = { stream_options: { include_usage: true } };
    expect(chatCalls(a).map((r) => r.body)).toEqual(Array(3).fill({ ...forced, ...sent, model: "relay-a" }));
    expect(chatCalls(b).map((r) => r.body)).toEqual([{ ...forced, ...sent }]);
  });

  test("when every route fails the client gets the last route's error, as it sent it", async () => {
    a.enqueue({ status: 503, ...now }, { status: 503, ...now }, { status: 503, ...now });
    b.enqueue({ status: 502 }, { status: 500 }, { status: 503, ...now });
    const apiError = await openaiFailure(
      client(gw).chat.completions.create({ model: "exhausted", messages: ask() }),
    );
    expect(apiError).toBeInstanceOf(OpenAI.APIError);
    expect(apiError.status).toBe(503);
    expect(apiError.message).toContain("fake upstream: status 503");
    expect(chatCalls(a)).toHaveLength(3);
    expect(chatCalls(b)).toHaveLength(3);
  });

  test("a 429 or 503 whose Retry-After is longer than the backoff is not retried on its route: the next route answers", async () => {
    for (const status of [429, 503]) {
      a.reset();
      b.reset();
      a.enqueue({ status, retryAfter: 1, retryAfterMs: 900 });
      const reply = await client(gw).chat.completions.create({ model: "failover", messages: ask() });
      expect(reply.model).toBe("failover-b");
      expect([chatCalls(a).length, chatCalls(b).length]).toEqual([1, 1]);
    }
  });

  test("a route whose credentials the upstream refuses (401, 403) fails over at once, not retried; the audit row says so", async () => {
    for (const status of [401, 403]) {
      a.reset();
      b.reset();
      a.enqueue({ status });
      const requestId = `creds-${status}-${crypto.randomUUID()}`;
      const reply = await client(gw).chat.completions.create(
        { model: "creds", messages: ask() },
        { headers: { "x-request-id": requestId } },
      );
      expect(reply.model).toBe("creds-b");
      expect([chatCalls(a).length, chatCalls(b).length]).toEqual([1, 1]);
      const row = await waitFor("the failed-over request's audit row", async () =>
        (await auditRows(gw, "creds", 1)).find((r) => r.requestId === requestId),
      );
      // The upstream's status, and the class that tells a refusal of the gateway from a fault.
      expect(row.attempts).toMatchObject([
        { route: "provider:a", outcome: "failed", status, errorClass: "upstream_auth" },
        { route: "provider:b", outcome: "ok" },
      ]);
    }
  });

  test("credentials refused on every route: the gateway's own 502, its words, each route tried once, no client retry", async () => {
    a.enqueue({ status: 401 });
    b.enqueue({ status: 403 });
    // The SDK's own retries too: `x-should-retry: false` says none would help.
    const retrying = new OpenAI({ apiKey: gw.adminKey ?? "", baseURL: `${gw.url}/v1`, maxRetries: 2 });
    const error = await openaiFailure(
      retrying.chat.completions.create({ model: "creds-both", messages: ask() }),
    );
    expect([error.status, error.code]).toEqual([502, "upstream_auth"]);
    expect(error.message).toContain("upstream b refused the gateway's request (forbidden)");
    expect(error.headers?.get("x-should-retry")).toBe("false");
    expect([chatCalls(a).length, chatCalls(b).length]).toEqual([1, 1]);
  });

  test("a caller's fault (400 upstream) is neither retried nor failed over", async () => {
    a.enqueue({ status: 400 });
    const error = await openaiFailure(
      client(gw).chat.completions.create({ model: "refused", messages: ask() }),
    );
    expect(error.status).toBe(400);
    expect(chatCalls(a)).toHaveLength(1);
    expect(chatCalls(b)).toHaveLength(0);
  });

  test("a stream cut mid-way ends in an error event; the next route is not called", async () => {
    a.enqueue({ cutAfter: 3, chunkDelay: 10 });
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "midstream", messages: ask("a long answer please"), stream: true }),
    });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const last = JSON.parse(events.at(-1) ?? "{}") as { error?: { code?: string } };
    expect(last.error?.code).toBe("upstream_error");
    expect(events).not.toContain("[DONE]");
    expect(chatCalls(a)).toHaveLength(1);
    expect(await chatCalls(a)[0]?.settled).toBe("cut");
    expect(chatCalls(b)).toHaveLength(0);
    const [row] = await auditRows(gw, "midstream", 1);
    expect(row).toMatchObject({ route: "provider:a", status: 502, errorClass: "upstream_error" });
    // The attempt committed, then failed: its entry says so, as the row does.
    expect(row?.attempts).toMatchObject([
      { route: "provider:a", outcome: "failed", status: 502, errorClass: "upstream_error" },
    ]);
  });

  test("an in-stream upstream error reaches the SDK as an APIError; no failover", async () => {
    a.enqueue({ streamError: 2 });
    const stream = await client(gw).chat.completions.create({
      model: "midstream",
      messages: ask("a long answer please"),
      stream: true,
    });
    const seen: string[] = [];
    const error = await openaiFailure(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(seen.length).toBe(2);
    expect(chatCalls(a)).toHaveLength(1);
    expect(chatCalls(b)).toHaveLength(0);
  });
});

describe("circuit breaker and timeouts", () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: GatewayProcess;
  const COOLDOWN_MS = 1500;

  const fx = gatewayFixture({
    fakeRoutes: false,
    config: async (_aUrl, { fake, own }) => {
      a = fake;
      b = own(await startFakeUpstream());
      const single = (name: string, timeouts: object) => ({
        name,
        routes: [{ provider: "a", model: name, timeouts }],
      });
      const bounds = { connect: "400ms", first_byte: "800ms", idle: "400ms" };
      return {
        providers: twoRoutes(a, b),
        models: [
          {
            name: "breaker",
            routes: [
              { provider: "a", model: "breaker-a" },
              { provider: "b", model: "breaker-b" },
            ],
          },
          {
            name: "creds-breaker",
            routes: [
              { provider: "a", model: "creds-breaker-a" },
              { provider: "b", model: "creds-breaker-b" },
            ],
          },
          single("slow-connect", bounds),
          single("slow-first-byte", bounds),
          single("slow-stream-first-byte", bounds),
          single("slow-hang", bounds),
          single("slow-idle", bounds),
        ],
        routing: {
          retries: 0,
          backoff: "5ms",
          circuit_breaker: { failures: 2, cooldown: `${COOLDOWN_MS}ms` },
        },
      };
    },
  });
  beforeAll(() => {
    gw = fx.gw;
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  const breaker = () => client(gw).chat.completions.create({ model: "breaker", messages: ask() });

  test("after N failures the route is skipped until cooldown, then probed back", async () => {
    a.enqueue({ status: 503 }, { status: 503 });
    // Two failures on `a` (each failed over to `b`) open its breaker.
    expect((await breaker()).model).toBe("breaker-b");
    expect((await breaker()).model).toBe("breaker-b");
    expect(chatCalls(a)).toHaveLength(2);
    // Open: `a` sees nothing more while `b` serves.
    for (let i = 0; i < 3; i++) expect((await breaker()).model).toBe("breaker-b");
    expect(chatCalls(a)).toHaveLength(2);
    expect(chatCalls(b)).toHaveLength(5);

    // The probe after cooldown fails: the breaker opens again at once.
    a.enqueue({ status: 503 });
    await waitFor(
      "the half-open probe to reach a",
      async () => (await breaker()) && chatCalls(a).length === 3,
      COOLDOWN_MS * 10,
      100,
    );
    const bCalls = chatCalls(b).length;
    expect((await breaker()).model).toBe("breaker-b");
    expect(chatCalls(a)).toHaveLength(3);
    expect(chatCalls(b)).toHaveLength(bCalls + 1);

    // The next probe succeeds: the breaker closes and `a` serves again, first in order.
    const probed = await waitFor(
      "a successful probe",
      async () => ((await breaker()).model === "breaker-a" ? true : undefined),
      COOLDOWN_MS * 10,
      100,
    );
    expect(probed).toBe(true);
    expect(chatCalls(a)).toHaveLength(4);
    expect((await breaker()).model).toBe("breaker-a");
    expect((await breaker()).model).toBe("breaker-a");
    expect(chatCalls(a)).toHaveLength(6);
  });

  test("credentials refused count towards the route's breaker: after N the route is passed over", async () => {
    const creds = () => client(gw).chat.completions.create({ model: "creds-breaker", messages: ask() });
    a.enqueue({ status: 401 }, { status: 403 });
    expect((await creds()).model).toBe("creds-breaker-b");
    expect((await creds()).model).toBe("creds-breaker-b");
    // Open: `a` is not asked again while its cooldown runs.
    expect((await creds()).model).toBe("creds-breaker-b");
    expect(chatCalls(a)).toHaveLength(2);
    expect(chatCalls(b)).toHaveLength(3);
  });

  const expect504 = async (model: string, marker: string, stream: boolean) => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: ask(`[[fake:${marker}]] hi`), stream }),
    });
    expect(response.status).toBe(504);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("upstream_timeout");
    return body.error.message;
  };

  test("connect timeout (no response headers) on a stream: 504, upstream aborted", async () => {
    const message = await expect504("slow-connect", "delay=5000", true);
    expect(message).toContain("response headers");
    expect((await a.waitForAbort(10_000)).path).toBe("/v1/chat/completions");
  });

  test("first-byte timeout on a non-stream call: 504, upstream aborted", async () => {
    const message = await expect504("slow-first-byte", "ttfb=5000", false);
    expect(message).toContain("first byte");
    await a.waitForAbort(10_000);
  });

  test("first-byte timeout on a stream whose headers came but no event: 504", async () => {
    const message = await expect504("slow-stream-first-byte", "ttfb=5000", true);
    expect(message).toContain("first byte");
    await a.waitForAbort(10_000);
  });

  test("an upstream that hangs ends in a 504, never a hang", async () => {
    await expect504("slow-hang", "hang", false);
    await a.waitForAbort(10_000);
  });

  test("idle timeout between stream chunks: an error event, upstream aborted", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "slow-idle",
        // The role chunk and the first text at once, then quiet: the answer had begun.
        messages: ask("[[fake:chunk-delay=5000,chunk-delay-from=2]] a long answer"),
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    const last = JSON.parse(events.at(-1) ?? "{}") as { error?: { code?: string; message?: string } };
    expect(events.length).toBe(3);
    expect(last.error?.code).toBe("upstream_timeout");
    expect(last.error?.message).toContain("the next chunk");
    await a.waitForAbort(10_000);
  });
});
