import { describe, expect, test } from "bun:test";
import type { GatewayEvent } from "../../audit/gateway-event.ts";
import { KeySessions } from "../../auth/key-sessions.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { NO_PROBE } from "../../routing/breaker-probe.ts";
import { probeNewlyServed } from "../../routing/probe-newly-served.ts";
import { CHAT_ANSWER, chatRequest, routerFor } from "../../routing/router-test-kit.ts";
import { fakeClock } from "../../testing/fake-clock.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { waitFor } from "../../testing/wait-for.ts";
import { encodeChunk } from "../chunk-frame.ts";
import { CloseCode, PROTOCOL_VERSION } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { WorkerIdentity } from "./admit-worker.ts";
import type { TunnelRequest } from "./registered-worker.ts";
import { createWorkerConnection } from "./worker-connection.ts";
import { createWorkersProvider } from "./worker-provider.ts";
import { createWorkerRegistry } from "./worker-registry.ts";
import type { WorkerRegistryOptions } from "./worker-registry-options.ts";

/** A worker key admitted for every model, as `mindgw keys create --role worker` makes one. */
const KEY: WorkerIdentity = {
  role: "worker",
  credential: "key",
  name: "gpu-key",
  tenant: "default",
  models: ["*"],
  keyId: "key_1",
};

/**
 * The gateway's side of worker connections over one registry, each socket a list of frames sent
 * and a close, their deadlines on a clock the test moves. `alsoNewlyServed`: the gateway's own
 * answer to a worker newly serving models (a breaker half-opened), besides the list this keeps.
 */
function gateway(alsoNewlyServed?: WorkerRegistryOptions["newlyServed"]) {
  const clock = fakeClock();
  const events: GatewayEvent[] = [];
  const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: WorkerLog = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const newlyServed: string[][] = [];
  const registry = createWorkerRegistry({
    onEvent: (e) => events.push(e),
    log,
    heartbeatMs: 60_000,
    newlyServed: (worker, models, cause) => {
      newlyServed.push([...models]);
      alsoNewlyServed?.(worker, models, cause);
    },
  });
  const sessions = new KeySessions();
  /** A socket upgraded now: its identity is the key as admitted, and it is held under the key (worker-endpoint.ts). */
  function connect(drainMs: number | (() => number) = 30_000, identity: WorkerIdentity = KEY) {
    const sent: { type: string; id?: string; reason?: string; accepted?: string[] }[] = [];
    const socket = {
      sent,
      closedWith: undefined as number | undefined,
      reason: undefined as string | undefined,
    };
    const connection = createWorkerConnection({
      registry,
      identity,
      log,
      maxMessageBytes: 1 << 20,
      drainMs: typeof drainMs === "number" ? () => drainMs : drainMs,
      after: clock.after,
      transport: {
        send: (text) => void sent.push(JSON.parse(text)),
        close: (code, reason) => {
          socket.closedWith = code;
          socket.reason = reason;
        },
      },
    });
    // A JWT's connection is held until its expiry (KeySessions), which a test ends with `keyEnded`.
    if (identity.keyId) sessions.enter(identity.keyId, connection);
    const frame = (value: object) => connection.message(JSON.stringify(value));
    const register = (name: string, models: string[]) =>
      frame({ type: "register", v: PROTOCOL_VERSION, name, version: "1", models, concurrency: 4 });
    /** The id of the last request sent to this worker. */
    const lastRequest = () => sent.filter((f) => f.type === "request").at(-1)?.id as string;
    return { connection, socket, frame, register, lastRequest };
  }
  /** An admin changes the key's models (`mindgw keys update key_1 --models …`). */
  const narrow = (models: string[]) =>
    sessions.keyChanged(
      keyRecord({ id: "key_1", hash: "h", prefix: "mgw_x", last4: "abcd", name: "gpu-key", models }),
    );
  /** An admin revokes the key (`mindgw keys revoke key_1`). */
  const revoke = () =>
    sessions.keyChanged(
      keyRecord({ id: "key_1", hash: "h", prefix: "mgw_x", last4: "abcd", name: "gpu-key", revokedAt: 1 }),
    );
  return { clock, registry, events, logs, newlyServed, connect, narrow, revoke };
}

const request = (): TunnelRequest => ({
  path: "/v1/chat/completions",
  body: { model: "llama", messages: [] },
  stream: false,
  requestId: "req_1",
  signal: new AbortController().signal,
});

test("a worker named with an @ is refused at its register: the audit names a worker on another node <name>@<node>", () => {
  // `gpu@rack3` served here read as served by node rack3; forwarded, as by `rack3@node-b`.
  const { registry, logs, connect } = gateway();
  const worker = connect();
  worker.register("gpu@rack3", ["llama"]);
  expect(worker.socket.closedWith).toBe(CloseCode.protocolError);
  expect(registry.list()).toEqual([]);
  expect(logs.at(-1)?.fields?.problem).toContain("must not hold an @");
});

describe("a worker connection and its key's models", () => {
  test("a key narrowed between the upgrade and the register frame: the worker registers with the narrowed list", () => {
    const { registry, connect, narrow } = gateway();
    const worker = connect();
    narrow(["llama"]);
    worker.register("gpu", ["llama", "qwen"]);
    expect(registry.list().map((w) => w.models)).toEqual([["llama"]]);
    expect(worker.socket.sent.find((f) => f.type === "registered")?.accepted).toEqual(["llama"]);
  });

  test("a reconnect upgraded before the key was narrowed registers the narrowed list and half-opens no dropped model's breaker", () => {
    const { registry, newlyServed, connect, narrow } = gateway();
    const old = connect();
    old.register("gpu", ["llama", "qwen"]);
    // The worker's new connection is upgraded (admitted with the wider list), then the key narrowed.
    const reconnect = connect();
    narrow(["llama"]);
    expect(registry.list().map((w) => w.models)).toEqual([["llama"]]);
    reconnect.register("gpu", ["llama", "qwen"]);
    expect(registry.list().map((w) => w.models)).toEqual([["llama"]]);
    // Its first registration's models only: the reconnect serves nothing new.
    expect(newlyServed).toEqual([["llama", "qwen"]]);
  });

  test("a key narrowed to none of its worker's models lets its requests in flight finish, then refuses it: no protocol error, no worker lost", async () => {
    const { registry, events, logs, connect, narrow } = gateway();
    const worker = connect();
    worker.register("gpu", ["llama"]);
    const open = registry.get("gpu")?.openWhole(request()) as Promise<Response>;
    const answer = open.then((r) => r.status);
    narrow(["qwen"]);
    // Picked for nothing new, still connected while its request runs.
    expect(registry.pick("llama", "default")).toBeUndefined();
    expect(registry.whyNone("llama", "default")).toBe("draining");
    expect(worker.socket.closedWith).toBeUndefined();
    const id = worker.lastRequest();
    worker.frame({ type: "head", id, status: 200, contentType: "application/json" });
    worker.frame({ type: "end", id });
    expect(await answer).toBe(200);
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({ type: "rejected", reason: "no_models" }),
    );
    expect(worker.socket.closedWith).toBe(1008);
    expect(registry.list()).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(["worker.connected", "worker.draining", "worker.lost"]);
    // Left at its drain's end, nothing cut, and why: the Workers page shows the reason.
    expect(events.at(-1)).toMatchObject({ drained: true, reason: "its key permits none of its models" });
    const said = logs.map((l) => l.message);
    expect(said).not.toContain("worker connection closed: protocol error");
    expect(said).not.toContain("worker lost");
    expect(said).toContain("worker disconnected");
  });

  test("a key narrowed to none of its worker's models: a request still open at the deadline ends as a draining worker's refusal", async () => {
    const { clock, registry, connect, narrow } = gateway();
    const worker = connect(0);
    worker.register("gpu", ["llama"]);
    const failure = registry
      .get("gpu")
      ?.openWhole(request())
      .catch((e: unknown) => e as GatewayError);
    narrow([]);
    expect(worker.socket.closedWith).toBeUndefined();
    clock.advance(0);
    expect(worker.socket.closedWith).toBe(1008);
    const error = (await failure) as GatewayError;
    expect([error.status, error.code, error.headers["retry-after"]]).toEqual([503, "unavailable", "5"]);
    expect(error.message).toBe("worker gpu: its key no longer permits its models");
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({ type: "rejected", reason: "no_models" }),
    );
  });
});

test("a worker whose key permits none of its models at its register is refused, said as that with each model's reason, never as a protocol error", () => {
  const { logs, connect } = gateway();
  const worker = connect(30_000, { ...KEY, models: ["qwen-*"] });
  worker.register("gpu", ["llama", "mistral"]);
  expect(worker.socket.sent).toEqual([expect.objectContaining({ type: "rejected", reason: "no_models" })]);
  expect(worker.socket.closedWith).toBe(1008);
  // Before: `worker connection closed: protocol error` (problem: registration rejected: no_models),
  // which reads as a fault of the worker's build, where the key's models are what to change.
  expect(logs.map((l) => [l.level, l.message, l.fields])).toEqual([
    [
      "warn",
      "worker refused at its register: none of the offered models is permitted for this key",
      {
        key: "gpu-key",
        worker: "gpu",
        problem: "registration rejected: no_models",
        refused: ["llama: not permitted for this key", "mistral: not permitted for this key"],
      },
    ],
  ]);
});

describe("a worker's key narrowed to none of its models, then widened before its drain ended", () => {
  test("the drain is called off: the worker is picked again and serves on, on the same connection, never refused", async () => {
    const { registry, events, logs, connect, narrow } = gateway();
    const worker = connect();
    worker.register("gpu", ["llama"]);
    const open = registry.get("gpu")?.openWhole(request()) as Promise<Response>;
    const answer = open.then((r) => r.status);
    narrow([]);
    expect(registry.pick("llama", "default")).toBeUndefined();
    narrow(["llama"]);
    expect(registry.pick("llama", "default")?.name).toBe("gpu");
    // Its request in flight ends: no longer the end of a drain.
    const id = worker.lastRequest();
    worker.frame({ type: "head", id, status: 200, contentType: "application/json" });
    worker.frame({ type: "end", id });
    expect(await answer).toBe(200);
    expect(worker.socket.sent.map((f) => f.type)).not.toContain("rejected");
    expect(worker.socket.closedWith).toBeUndefined();
    expect(registry.list()).toMatchObject([{ name: "gpu", models: ["llama"], draining: false }]);
    expect(events.map((e) => e.type)).toEqual(["worker.connected", "worker.draining", "worker.changed"]);
    expect(logs.map((l) => l.message)).toContain(
      "worker's key permits some of its models again: its drain is called off",
    );
  });

  test("the drain called off is one worker.changed, with the models it serves now, and each of them newly served: a breaker opened while it drained lets a probe through to it", async () => {
    const { health } = routerFor({ routing: { circuit_breaker: { failures: 2, cooldown: "1s" } } }, []);
    const probe = probeNewlyServed(health);
    const { registry, events, newlyServed, connect, narrow } = gateway((worker, models, cause) =>
      probe({ by: `worker:${worker.name}`, tenant: worker.tenant }, models, cause),
    );
    const worker = connect();
    worker.register("gpu", ["llama", "qwen"]);
    registry.get("gpu")?.openWhole(request());
    narrow([]);
    // While it drains, llama's callers fail until its breaker opens.
    health.failed("workers/llama");
    health.failed("workers/llama");
    expect(health.admit("workers/llama")).toBeUndefined();
    narrow(["llama"]);
    const changes = events.filter((e) => e.type === "worker.changed");
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ worker: { models: ["llama"], draining: false } });
    expect(newlyServed).toEqual([["llama", "qwen"], ["llama"]]);
    expect(health.admit("workers/llama")).toBeGreaterThan(NO_PROBE);
  });

  test("a drain called off ends nothing at its deadline; a second narrowing's drain lasts its own drain time", () => {
    const { clock, registry, connect, narrow } = gateway();
    let drainMs = 20;
    const worker = connect(() => drainMs);
    worker.register("gpu", ["llama"]);
    registry
      .get("gpu")
      ?.openWhole(request())
      .catch(() => {});
    narrow([]);
    narrow(["llama"]);
    clock.advance(20);
    expect(worker.socket.closedWith).toBeUndefined();
    expect(registry.list()).toMatchObject([{ name: "gpu", draining: false }]);
    // A reload lengthened the drain: the second narrowing is refused at its 40 ms, not at the first's 20.
    drainMs = 40;
    narrow([]);
    clock.advance(39);
    expect(worker.socket.closedWith).toBeUndefined();
    clock.advance(1);
    expect(worker.socket.closedWith).toBe(1008);
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({ type: "rejected", reason: "no_models" }),
    );
  });

  test("a second narrowing drains it again, and refuses it at its own deadline", async () => {
    const { clock, registry, connect, narrow } = gateway();
    const worker = connect(0);
    worker.register("gpu", ["llama", "qwen"]);
    const failure = registry
      .get("gpu")
      ?.openWhole(request())
      .catch((e: unknown) => e as GatewayError);
    narrow([]);
    narrow(["qwen"]);
    expect(worker.socket.closedWith).toBeUndefined();
    expect(registry.list()).toMatchObject([{ models: ["qwen"], draining: false }]);
    narrow(["gpt-*"]);
    clock.advance(0);
    expect(worker.socket.closedWith).toBe(1008);
    expect(((await failure) as GatewayError).code).toBe("unavailable");
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({ type: "rejected", reason: "no_models" }),
    );
  });

  test("a worker that announced its own drain stays draining: a widened key calls off the refusal only", () => {
    const { registry, connect, narrow } = gateway();
    const worker = connect();
    worker.register("gpu", ["llama"]);
    registry.get("gpu")?.openWhole(request());
    worker.frame({ type: "drain" });
    narrow([]);
    narrow(["*"]);
    expect(registry.list()).toMatchObject([{ name: "gpu", draining: true }]);
    expect(worker.socket.closedWith).toBeUndefined();
  });

  test("the drain lasts what the gateway's drain setting says as the key narrows (server.drain_timeout)", () => {
    const { clock, registry, connect, narrow } = gateway();
    let drainMs = 60_000;
    const worker = connect(() => drainMs);
    worker.register("gpu", ["llama"]);
    registry
      .get("gpu")
      ?.openWhole(request())
      .catch(() => {});
    // A reload shortened it after the worker connected: the narrowing reads it now.
    drainMs = 0;
    narrow([]);
    clock.advance(0);
    expect(worker.socket.closedWith).toBe(1008);
  });
});

describe("a worker's own close while draining", () => {
  test("with a request open, it ends 503 in the close's words, Retry-After 5, and goes to another worker before its first event", async () => {
    const { registry, connect } = gateway();
    const draining = connect();
    draining.register("a", ["llama"]);
    const workers = {
      provider: createWorkersProvider(registry),
      servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
      models: (tenant: string) => registry.models(tenant),
    };
    const { router } = routerFor({ routing: { retries: 0, backoff: 0 } }, [], { workers });
    const answered = router(chatRequest("llama"));
    await waitFor("the request sent to worker a", () => draining.lastRequest() !== undefined);
    const other = connect();
    other.register("b", ["llama"]);
    // Worker a drains, then closes as registering again would: its request was still open.
    draining.frame({ type: "drain" });
    draining.connection.closed(1000, "registering again");
    await waitFor("the request sent again to worker b", () => other.lastRequest() !== undefined);
    const id = other.lastRequest();
    other.frame({ type: "head", id, status: 200, contentType: "application/json" });
    other.connection.message(encodeChunk(Number(id), new TextEncoder().encode(CHAT_ANSWER)));
    other.frame({ type: "end", id });
    expect((await answered).route).toBe("worker:b");
  });

  test("the cut request's own failure: 503 unavailable, Retry-After 5, named for the close, not the drain deadline", async () => {
    const { registry, connect } = gateway();
    const worker = connect();
    worker.register("a", ["llama"]);
    const failure = registry
      .get("a")
      ?.openWhole(request())
      .catch((e: unknown) => e as GatewayError);
    worker.frame({ type: "drain" });
    worker.connection.closed(1000, "registering again");
    const error = (await failure) as GatewayError;
    expect([error.status, error.code, error.headers["retry-after"], error.retryable]).toEqual([
      503,
      "unavailable",
      "5",
      true,
    ]);
    expect(error.message).toBe("worker a: closed its connection while draining (registering again)");
  });
});

describe("a worker's key revoked while it is connected", () => {
  test("it is told and disconnected, said as that at warn, never as a protocol error or a worker lost; its call in flight says its key was revoked", async () => {
    const { registry, events, logs, connect, revoke } = gateway();
    const worker = connect();
    worker.register("gpu", ["llama"]);
    const failure = registry
      .get("gpu")
      ?.openWhole(request())
      .catch((e: unknown) => e as GatewayError);
    revoke();
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({
        type: "rejected",
        reason: "key_revoked",
        message: "the worker's key was revoked",
      }),
    );
    expect(worker.socket.closedWith).toBe(1008);
    expect(registry.list()).toEqual([]);
    const error = (await failure) as GatewayError;
    // Retryable as a lost worker's (another worker takes it before its first event), in its own words.
    expect([error.status, error.code, error.message, error.retryable]).toEqual([
      502,
      "worker_lost",
      "worker gpu was disconnected: its key was revoked",
      true,
    ]);
    expect(events.at(-1)).toMatchObject({
      type: "worker.lost",
      reason: "its key was revoked",
      drained: false,
    });
    const warned = logs.filter((l) => l.level === "warn");
    expect(warned.map((l) => l.message)).toEqual(["worker disconnected: its key was revoked"]);
    // The call it had in flight, counted on the line.
    expect(warned[0]?.fields?.in_flight).toBe(1);
  });

  test("before its register: disconnected in the same words, no protocol error", () => {
    const { logs, connect, revoke } = gateway();
    const worker = connect();
    revoke();
    expect(worker.socket.sent).toEqual([
      expect.objectContaining({ type: "rejected", reason: "key_revoked" }),
    ]);
    expect(worker.socket.closedWith).toBe(1008);
    expect(logs.map((l) => `${l.level} ${l.message}`)).toEqual([
      "warn worker disconnected: its key was revoked",
    ]);
  });
});

test("a worker's key whose rotation's grace ended: told, closed and logged saying so, not that the key 'was expired'", () => {
  const { logs, connect } = gateway();
  const worker = connect();
  worker.register("gpu", ["llama"]);
  worker.connection.keyEnded("expired");
  const why = "its key expired (its expiry passed, or the grace after a rotation ended)";
  expect(worker.socket.sent.at(-1)).toEqual(
    expect.objectContaining({
      type: "rejected",
      reason: "key_expired",
      message: "the worker's key expired (its expiry passed, or the grace after a rotation ended)",
    }),
  );
  expect([worker.socket.closedWith, worker.socket.reason]).toEqual([1008, why]);
  expect(logs.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
    `worker disconnected: ${why}`,
  ]);
});

describe("a worker's JWT ended while it is connected", () => {
  /** A worker that authenticated with a token (`auth.jwt`), not a key. */
  const TOKEN: WorkerIdentity = {
    role: "worker",
    credential: "jwt",
    name: "gpu-sub",
    tenant: "default",
    models: ["*"],
    keyId: null,
    expiresAt: 60_000,
  };

  test("its token expiring: the worker is told, closed, logged and its call failed in words that name the token, not a key", async () => {
    const { registry, events, logs, connect } = gateway();
    const worker = connect(30_000, TOKEN);
    worker.register("gpu", ["llama"]);
    const failure = registry
      .get("gpu")
      ?.openWhole(request())
      .catch((e: unknown) => e as GatewayError);
    worker.connection.keyEnded("expired");
    // The reason stays `key_expired` (the protocol's: a worker reads any `key_` as its credential refused).
    expect(worker.socket.sent.at(-1)).toEqual(
      expect.objectContaining({
        type: "rejected",
        reason: "key_expired",
        message: "the worker's token (JWT) expired",
      }),
    );
    expect([worker.socket.closedWith, worker.socket.reason]).toEqual([1008, "its token (JWT) expired"]);
    expect(((await failure) as GatewayError).message).toBe(
      "worker gpu was disconnected: its token (JWT) expired",
    );
    expect(events.at(-1)).toMatchObject({ type: "worker.lost", reason: "its token (JWT) expired" });
    expect(logs.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      "worker disconnected: its token (JWT) expired",
    ]);
  });

  test("its token's tenant removed, before its register too: said of the token", () => {
    const { logs, connect } = gateway();
    const worker = connect(30_000, TOKEN);
    worker.connection.keyEnded("tenant_removed");
    expect(worker.socket.sent).toEqual([
      expect.objectContaining({
        type: "rejected",
        reason: "key_tenant_removed",
        message: "the worker's token's (JWT's) tenant was removed",
      }),
    ]);
    expect(worker.socket.reason).toBe("its token's (JWT's) tenant was removed");
    expect(logs.map((l) => `${l.level} ${l.message}`)).toEqual([
      "warn worker disconnected: its token's (JWT's) tenant was removed",
    ]);
  });
});

describe("a worker announcing what its upstream serves", () => {
  test("only ever adds: a list that drops the Responses API is ignored, so flipping it frame after frame is told once", () => {
    const { registry, events, logs, connect } = gateway();
    const worker = connect();
    worker.register("gpu", ["llama"]);
    const before = events.length;
    for (let i = 0; i < 50; i++) {
      worker.frame({ type: "announce", apis: ["responses"] });
      worker.frame({ type: "announce", apis: [] });
    }
    expect(registry.get("gpu")?.responsesApi).toBe(true);
    expect(logs.filter((l) => l.message.includes("Responses API")).map((l) => l.message)).toEqual([
      "worker's upstream serves the Responses API",
    ]);
    expect(events.slice(before).map((e) => e.type)).toEqual(["worker.changed"]);
    // No protocol error: the connection stays.
    expect(worker.socket.closedWith).toBeUndefined();
  });

  test("from a connection a newer one replaced: nothing said, nothing changed", () => {
    const { registry, events, logs, connect } = gateway();
    const old = connect();
    old.register("gpu", ["llama"]);
    const reconnect = connect();
    reconnect.register("gpu", ["llama"]);
    const before = events.length;
    old.frame({ type: "announce", apis: ["responses"] });
    expect(logs.filter((l) => l.message.includes("Responses API"))).toEqual([]);
    expect(events.slice(before)).toEqual([]);
    expect(registry.get("gpu")?.responsesApi).toBe(false);
  });
});
