import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import type { Principal } from "../auth/principal.ts";
import { configSchema } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { JsonObject } from "../core/dialect.ts";
import { silentLogger } from "../log/logger.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Provider, ProviderCall } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { createShadowRunner } from "./shadow-runner.ts";
import { threadRulesOf } from "./thread-rules.ts";

// The runner's own bookkeeping of calls in flight: each copy is cut off by its own timeout, a
// stop cuts off the copies still running, and every pair is recorded either way.

/** A shadow upstream that never answers: its call settles only when its signal aborts. */
let calls = 0;
const hanging: Provider = {
  name: "hanging",
  dialect: "openai",
  call: (call: ProviderCall) => {
    calls++;
    return new Promise((_, reject) =>
      call.signal.addEventListener("abort", () => reject(call.signal.reason), { once: true }),
    );
  },
};
const route: Route = {
  provider: hanging,
  upstreamModel: "candidate",
  weight: 1,
  timeouts: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 },
  key: "hanging/candidate",
  label: "provider:hanging",
};
const config = configSchema.parse({
  providers: [{ name: "hanging", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "hanging", model: "candidate" }] }],
});

function runner(
  timeout: number,
  thread: "all" | "off" = "off",
  maxConcurrent = config.shadow.max_concurrent,
  routeFor: (target: ShadowTarget) => Route | undefined = () => undefined,
  /** The shadow thread records the pairs it sends (the gateway's default hook and rules). */
  owned = false,
  /** The draw each request's sample is compared with (Math.random when not given). */
  random?: () => number,
) {
  const stored: ShadowRecord[] = [];
  const shadow = createShadowRunner({
    settings: () => ({ ...config.shadow, timeout, max_concurrent: maxConcurrent }),
    keepAnswers: () => false,
    redact: owned ? redactSecrets : (text) => text,
    ...(owned ? { threadRules: () => threadRulesOf(config) } : {}),
    pricing: () => new PriceBook(config),
    store: {
      async insert(records) {
        stored.push(...records);
      },
    },
    flushMs: () => 1,
    logger: silentLogger,
    routeFor,
    thread,
    ...(random ? { random } : {}),
  });
  return { shadow, stored };
}

/** The last request's `serial`: each its own, as the gateway numbers them. */
let serials = 0;

/** A client's request as the router has it. */
function requestOf(requestId: string): DispatchRequest {
  const body: JsonObject = { model: "m", messages: [{ role: "user", content: "hi" }] };
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return {
    operation: "chat",
    body,
    model: "m",
    stream: false,
    requestId,
    serial: ++serials,
    signal: new AbortController().signal,
    tenant: "default",
    received: { bytes, body, headers: {}, query: "" },
  };
}

/** The primary's dispatch of a client request answered "hello" by provider fake (one token each way). */
function answered(): Dispatched {
  return {
    reply: { kind: "json", body: { choices: [{ message: { content: "hello" } }] } },
    route: "provider:fake",
    upstreamModel: "m",
    attempts: 1,
    dropped: [],
    usage: () => ({ inputTokens: 1, outputTokens: 1 }),
    answeredModel: () => undefined,
  };
}

/** One client request through the runner: sampled, answered, its audit record in. */
function mirrored(
  shadow: ReturnType<typeof runner>["shadow"],
  requestId: string,
  to = route,
  request = requestOf(requestId),
  sample = 1,
): void {
  shadow.hook({ route: to, sample }, request, answered());
  shadow.finished(finishedRecord(requestId), request.serial);
}

/** The audit record of a client request that was answered (200). */
function finishedRecord(requestId: string): AuditRecord {
  return {
    requestId,
    startedAt: Date.now(),
    keyId: null,
    keyName: null,
    tenant: null,
    role: null,
    frontDoor: "chat",
    model: "m",
    route: "provider:fake",
    upstreamModel: "m",
    status: 200,
    errorClass: null,
    stream: false,
    latencyMs: 1,
    ttfbMs: 1,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
    clientIp: null,
    userAgent: null,
  };
}

test("requests that share a request id keep their own callers' shadows and their own pairs", async () => {
  // Two tenants' callers, each shadowed to its tenant's own route, send one x-request-id (a
  // backend passing its inbound id on does, and so may anyone): each copy goes to its caller's
  // route, and each request's record completes its own pair.
  const sent: { route: string; content: unknown }[] = [];
  const recording = (name: string): Route => ({
    ...route,
    provider: {
      name,
      dialect: "openai",
      call: (call: ProviderCall) => {
        const messages = call.body.messages as { content: unknown }[];
        sent.push({ route: name, content: messages[0]?.content });
        return Promise.reject(new Error("no answer"));
      },
    },
    key: `${name}/candidate`,
    label: `provider:${name}`,
  });
  const routes = { "team-a": recording("team-a-twin"), "team-b": recording("team-b-twin") };
  const { shadow, stored } = runner(60_000, "off", config.shadow.max_concurrent, (target) =>
    target.provider === "team-a-twin" ? routes["team-a"] : routes["team-b"],
  );
  const caller = (tenant: "team-a" | "team-b"): Principal => ({
    keyId: `key_${tenant}`,
    name: tenant,
    tenant,
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: {
      bound: true,
      models: ["*"],
      shadow: { provider: `${tenant}-twin`, model: "c", sample: 1 },
    },
  });
  const ask = (content: string): DispatchRequest => {
    const request = requestOf("job-42");
    const body: JsonObject = { model: "m", messages: [{ role: "user", content }] };
    return {
      ...request,
      body,
      received: { bytes: new TextEncoder().encode(JSON.stringify(body)), body, headers: {}, query: "" },
    };
  };
  const alice = ask("alice's plan");
  const bob = ask("bob's text");
  // Both in flight at once: alice's started first, bob's ends first.
  shadow.started(alice.serial, caller("team-a"));
  shadow.started(bob.serial, caller("team-b"));
  const primary = answered();
  shadow.hook(undefined, bob, primary);
  const recordOf = (tenant: string, status: number): AuditRecord => ({
    ...finishedRecord("job-42"),
    keyName: tenant,
    tenant,
    status,
  });
  shadow.finished(recordOf("team-b", 200), bob.serial);
  shadow.hook(undefined, alice, primary);
  shadow.finished(recordOf("team-a", 201), alice.serial);
  await waitFor("both pairs", () => stored.length === 2);
  expect(sent.sort((x, y) => x.route.localeCompare(y.route))).toEqual([
    { route: "team-a-twin", content: "alice's plan" },
    { route: "team-b-twin", content: "bob's text" },
  ]);
  // Each pair is its own request's: its caller's record, its caller's route.
  expect(
    stored
      .map((pair) => [pair.tenant, pair.primary.status, pair.shadow.route])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  ).toEqual([
    ["team-a", 201, "provider:team-a-twin"],
    ["team-b", 200, "provider:team-b-twin"],
  ]);
  await shadow.close();
});

test("a request is copied when its draw is under the sample: at 0 never, at 1 always, a fraction its share", async () => {
  // The same draws for each sample, from an injected source: which requests are copied is known.
  const draws = [0, 0.2499, 0.25, 0.9, 0.999_999];
  let next = 0;
  const { shadow, stored } = runner(
    60_000,
    "off",
    64,
    undefined,
    false,
    () => draws[next++ % draws.length] ?? 0,
  );
  for (const sample of [0, 0.25, 1])
    for (const draw of draws) mirrored(shadow, `req_${sample}_${draw}`, route, undefined, sample);
  // Cut off by the stop, each copy made is recorded: the requests copied, by their ids.
  await shadow.close();
  expect(stored.map((pair) => pair.requestId).sort()).toEqual(
    ["req_0.25_0", "req_0.25_0.2499", ...draws.map((draw) => `req_1_${draw}`)].sort(),
  );
});

test("a copy that hangs is cut off by its own timeout and recorded as a 504", async () => {
  const { shadow, stored } = runner(20);
  mirrored(shadow, "req_timeout");
  expect(shadow.inFlight()).toBe(1);
  // The pair is recorded once the copy's own timeout has cut it off (the flush comes 1 ms later).
  await waitFor("the pair of the timed-out copy", () => stored.length > 0);
  expect(stored).toHaveLength(1);
  expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout" });
  expect(stored[0]?.primary.status).toBe(200);
  expect(shadow.inFlight()).toBe(0);
  await shadow.close();
});

test("requests whose pairs were recorded are not kept alive by young collections (the runner's Maps kept them)", async () => {
  // Room for 32 copies at once (the check's warm-up sends as many).
  const { shadow, stored } = runner(60_000, "off", 64);
  const refusing: Route = {
    ...route,
    provider: { ...hanging, call: () => Promise.reject(new Error("down")) },
  };
  const recorded = new Set<string>();
  let n = 0;
  const kept = await keptAfterChurn(
    () => requestOf(`req_churn_${n++}`),
    (request) => {
      mirrored(shadow, request.requestId, refusing, request);
      return request.requestId;
    },
    (requestId) =>
      waitFor(`the pair of ${requestId}`, () => {
        for (const record of stored.splice(0)) recorded.add(record.requestId);
        return recorded.has(requestId);
      }),
  );
  // The Maps kept 168 of 500.
  expect(kept).toBeLessThan(50);
  expect(shadow.inFlight()).toBe(0);
  await shadow.close();
});

test("a token count and a compaction are never copied: no model's answer to compare", async () => {
  const { shadow, stored } = runner(60_000);
  const before = calls;
  const count: DispatchRequest = { ...requestOf("req_count"), operation: "count_tokens" };
  const compact: DispatchRequest = {
    ...requestOf("req_compact"),
    operation: "responses",
    responses: { id: "resp_1", previous: [], compact: true, onResponse: () => {} },
  };
  for (const request of [count, compact]) mirrored(shadow, request.requestId, route, request);
  expect(shadow.inFlight()).toBe(0);
  // A chat call after them is copied, and recorded alone.
  mirrored(shadow, "req_chat");
  await waitFor("the chat call's copy upstream", () => calls === before + 1);
  await shadow.close();
  expect(stored.map((record) => record.requestId)).toEqual(["req_chat"]);
  expect(shadow.counts().ended).toEqual([{ provider: "hanging", outcome: "unavailable", count: 1 }]);
});

test("a stop cuts off the copies still in flight and records every pair before it resolves", async () => {
  const { shadow, stored } = runner(60_000);
  const before = calls;
  mirrored(shadow, "req_a");
  await waitFor("the first copy's call upstream", () => calls === before + 1);
  // Sampled right before the stop: their calls would start on the next turn, after it.
  for (const id of ["req_b", "req_c"]) mirrored(shadow, id);
  expect(shadow.inFlight()).toBe(3);
  await shadow.close();
  // The first was cut off upstream; the other two never reached it.
  expect(calls).toBe(before + 1);
  expect(shadow.inFlight()).toBe(0);
  expect(stored.map((record) => record.requestId).sort()).toEqual(["req_a", "req_b", "req_c"]);
  for (const record of stored)
    expect(record.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  // Cut off, sent or not: each copy counts once as unavailable.
  expect(shadow.counts().ended).toEqual([{ provider: "hanging", outcome: "unavailable", count: 3 }]);
});

describe("through the shadow thread", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(() => fake.stop());

  /** A real openai provider whose upstream never answers: the copy goes from the shadow thread. */
  const hangingUpstream = (): Route => ({
    ...route,
    provider: createOpenAICompatibleProvider({
      name: "hanger",
      baseUrl: `${fake.url}/v1`,
      headers: { "x-fake-hang": "1" },
    }),
    label: "provider:hanger",
  });

  /** A real openai provider on the fake: it answers a copy as it answers the client. */
  const twinUpstream = (): Route => ({
    ...route,
    provider: createOpenAICompatibleProvider({ name: "twin", baseUrl: `${fake.url}/v1` }),
    label: "provider:twin",
  });

  for (const thread of ["off", "all", "owned"] as const)
    test(`a long stream answered alike by both is compared whole: exact, similarity 1, both finished (thread ${thread})`, async () => {
      // 9,000 deltas: over a megabyte of events, far past what was kept of the primary's stream.
      const body: JsonObject = {
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "long answer [[fake:chunks=9000]]" }],
      };
      const streamed = await fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const wire = new Uint8Array(await streamed.arrayBuffer());
      expect(wire.byteLength).toBeGreaterThan(1024 * 1024);
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < wire.byteLength; at += 16 * 1024) pieces.push(wire.subarray(at, at + 16 * 1024));
      const owned = thread === "owned";
      const { shadow, stored } = runner(60_000, owned ? "all" : thread, undefined, undefined, owned);
      const request: DispatchRequest = {
        ...requestOf(`req_long_${thread}`),
        body,
        stream: true,
        received: { bytes: new TextEncoder().encode(JSON.stringify(body)), body, headers: {}, query: "" },
      };
      const primary: Dispatched = {
        reply: {
          kind: "stream",
          chunks: { reported: undefined, next: async () => pieces.shift(), cancel() {} },
        },
        route: "provider:fake",
        upstreamModel: "m",
        attempts: 1,
        dropped: [],
        usage: () => ({ inputTokens: 1, outputTokens: 9000 }),
        answeredModel: () => undefined,
      };
      const watched = shadow.hook({ route: twinUpstream(), sample: 1 }, request, primary);
      if (watched.reply.kind !== "stream") throw new Error("a stream reply expected");
      // The client reads its stream to the end, then the request's record is in.
      while (await watched.reply.chunks.next());
      shadow.finished({ ...finishedRecord(request.requestId), stream: true }, request.serial);
      await waitFor("the long stream's pair", () => stored.length > 0, 20_000);
      await shadow.close();
      expect(stored[0]?.shadow.status).toBe(200);
      expect([stored[0]?.primary.finish, stored[0]?.shadow.finish]).toEqual(["stop", "stop"]);
      expect(stored[0]?.agreement).toMatchObject({ exact: true, similarity: 1, finishAgrees: true });
    });

  test("a copy that hangs in the thread is cut off by its own timeout and recorded as a 504", async () => {
    const { shadow, stored } = runner(50, "all");
    mirrored(shadow, "req_thread_timeout", hangingUpstream());
    await waitFor("the pair of the timed-out copy", () => stored.length > 0);
    expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout" });
    expect(shadow.inFlight()).toBe(0);
    await shadow.close();
  });

  for (const thread of ["off", "all"] as const)
    test(`a shadow.timeout of 30 days (past setTimeout's range) lets a copy that takes 100 ms answer (thread ${thread})`, async () => {
      // Bun fires a timer of over 2^31 - 1 ms after 1 ms: the copy was cut off as timed out at once.
      const { shadow, stored } = runner(30 * 24 * 3_600_000, thread);
      const body: JsonObject = {
        model: "m",
        messages: [{ role: "user", content: "slow [[fake:delay=100]]" }],
      };
      const request: DispatchRequest = {
        ...requestOf(`req_month_${thread}`),
        body,
        received: { bytes: new TextEncoder().encode(JSON.stringify(body)), body, headers: {}, query: "" },
      };
      mirrored(shadow, request.requestId, twinUpstream(), request);
      await waitFor("the pair of the slow copy", () => stored.length > 0);
      await shadow.close();
      expect(stored[0]?.shadow).toMatchObject({ status: 200 });
    });

  test("a stop cuts off the copies in the thread and records them before it resolves", async () => {
    fake.reset();
    const { shadow, stored } = runner(60_000, "all");
    const upstream = hangingUpstream();
    mirrored(shadow, "req_thread_a", upstream);
    mirrored(shadow, "req_thread_b", upstream);
    await waitFor("both copies to reach the upstream from the thread", () => fake.requests.length === 2);
    await shadow.close();
    expect(shadow.inFlight()).toBe(0);
    expect(stored.map((record) => record.requestId).sort()).toEqual(["req_thread_a", "req_thread_b"]);
    for (const record of stored)
      expect(record.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  });
});

test("a tenant's or an app's shadow copies every model's calls but embeddings, or its own models' calls alone", async () => {
  const { shadow } = runner(60_000, "off", config.shadow.max_concurrent, (target) =>
    target.provider === "twin" ? route : undefined,
  );
  const twin = (models?: string[]): ShadowTarget => ({
    provider: "twin",
    model: "c",
    sample: 1,
    ...(models ? { models } : {}),
  });
  const caller = (tenantShadow: ShadowTarget, appShadow?: ShadowTarget): Principal => ({
    keyId: "key_t",
    name: "t",
    tenant: "team-t",
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: { bound: true, models: ["*"], shadow: tenantShadow },
    ...(appShadow ? { appShadow } : {}),
  });
  /** Whether a call of `operation` to `model` by `principal` is copied, its model shadowed too. */
  const copied = (principal: Principal, operation: "chat" | "embeddings", model: string) => {
    const request: DispatchRequest = { ...requestOf(`${operation}-${model}`), operation, model };
    shadow.started(request.serial, principal);
    const may = shadow.mayCopy({ route, sample: 1 }, request);
    const primary: Dispatched = {
      reply: { kind: "json", body: {} },
      route: "provider:fake",
      upstreamModel: model,
      attempts: 1,
      dropped: [],
      usage: () => ({ inputTokens: 1, outputTokens: 1 }),
      answeredModel: () => undefined,
    };
    const before = shadow.inFlight();
    const hooked = shadow.hook({ route, sample: 1 }, request, primary) !== primary;
    shadow.finished({ ...finishedRecord(request.requestId), status: 500 }, request.serial);
    expect(hooked).toBe(may);
    expect(shadow.inFlight()).toBe(before + (hooked ? 1 : 0));
    return may;
  };
  // Without models: chat copied, embeddings not (nor to the model's own shadow: the tenant's takes its place).
  const everyModel = caller(twin());
  expect(copied(everyModel, "chat", "gpt-4o")).toBe(true);
  expect(copied(everyModel, "embeddings", "text-embedding-3-small")).toBe(false);
  // With models: those models' calls, embeddings included, and no other model's.
  const embeddingsOnly = caller(twin(["text-embedding-*"]));
  expect(copied(embeddingsOnly, "embeddings", "text-embedding-3-small")).toBe(true);
  expect(copied(embeddingsOnly, "chat", "gpt-4o")).toBe(false);
  // An app's shadow decides for calls through it, its tenant's no fallback.
  const throughApp = caller(twin(), twin(["claude-*"]));
  expect(copied(throughApp, "chat", "claude-sonnet-4")).toBe(true);
  expect(copied(throughApp, "chat", "gpt-4o")).toBe(false);
  await shadow.close();
});

test("a copy may be made (the received bytes kept for it) only where hook could make one: a route, a chance, a model's answer", async () => {
  const { shadow } = runner(60_000);
  const request = requestOf("may-copy");
  expect(shadow.mayCopy({ route, sample: 0.1 }, request)).toBe(true);
  expect(shadow.mayCopy({ route, sample: 0 }, request)).toBe(false);
  expect(shadow.mayCopy(undefined, request)).toBe(false);
  // A caller whose tenant shadows to a provider no route reaches: hook copies nothing, so neither may this.
  const principal: Principal = {
    keyId: "key_gone",
    name: "gone",
    tenant: "team-gone",
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: { bound: true, models: ["*"], shadow: { provider: "gone", model: "x", sample: 1 } },
  };
  shadow.started(request.serial, principal);
  expect(shadow.mayCopy({ route, sample: 1 }, request)).toBe(false);
  await shadow.close();
});
