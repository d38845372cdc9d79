import { afterEach, expect, test } from "bun:test";
import { KeySessions } from "../../auth/key-sessions.ts";
import type { Principal } from "../../auth/principal.ts";
import type { CallerBinding } from "../../tenants/bind-tenant.ts";
import { CallerHolds } from "../../tenants/caller-holds.ts";
import { jwtCaller } from "../../testing/jwt-caller.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { CloseCode } from "../protocol.ts";
import { openRawWorker } from "../testing/raw-worker.ts";
import { testGuard } from "../testing/test-guard.ts";
import { MAX_MESSAGE_BYTES, startGateway } from "../testing/tunnel-harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("a worker's messages reach its connection without Elysia's per-message wrapper", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const worker = await openRawWorker(gateway.port);
  cleanups.push(() => worker.socket.close());
  // Text frames (register, parsed by the connection itself) and a round trip after them.
  const registered = await worker.register(["llama-small"], "gpu-1", { batch: true, bodyText: true });
  expect(registered.type).toBe("registered");
  worker.send({ type: "heartbeat", at: Date.now() });
  await worker.roundTrip();
  expect(worker.closed).toBeUndefined();
  // Elysia (the pinned version) keeps each connection's handlers where the endpoint replaces them.
  expect(gateway.logs.map((line) => line.message)).not.toContain(
    "worker messages take Elysia's own path (its socket data has no message handler)",
  );
});

test("a text frame that is not JSON still closes the connection as a protocol error", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const worker = await openRawWorker(gateway.port);
  await worker.register(["llama-small"], "gpu-1");
  worker.socket.send("not json");
  expect((await worker.waitClosed()).code).toBe(CloseCode.protocolError);
});

test("a frame past the server's own limit (Bun closes it) is logged as one the connection finds too big, before register and after", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const early = await openRawWorker(gateway.port);
  early.socket.send("x".repeat(MAX_MESSAGE_BYTES + 1));
  expect((await early.waitClosed()).code).toBe(CloseCode.tooBig);
  const late = await openRawWorker(gateway.port);
  await late.register(["llama-small"], "gpu-1");
  late.socket.send("x".repeat(MAX_MESSAGE_BYTES + 1));
  expect((await late.waitClosed()).code).toBe(CloseCode.tooBig);
  const problems = await waitForValue("both lines", () => {
    const lines = gateway.logs.filter((line) => line.message === "worker connection closed: protocol error");
    return lines.length === 2 ? lines : undefined;
  });
  expect(gateway.registry.list()).toEqual([]);
  expect(problems.map((line) => [line.level, line.fields?.worker, line.fields?.problem])).toEqual([
    ["warn", undefined, "frame larger than the message limit"],
    ["warn", "gpu-1", "frame larger than the message limit"],
  ]);
});

test("a key narrowed after a worker's upgrade was admitted and before its socket opened: the worker registers with the narrowed list", async () => {
  const sessions = new KeySessions();
  const admitted = testGuard({
    "wide-key": {
      role: "worker",
      credential: "key",
      name: "gpu-key",
      tenant: "default",
      models: ["*"],
      keyId: "key_1",
    },
  });
  // The admin's change comes the moment the upgrade is admitted, its identity read with the old list.
  const narrowed = keyRecord({
    id: "key_1",
    hash: "h",
    prefix: "mgw_x",
    last4: "abcd",
    models: ["llama-small"],
  });
  const gateway = startGateway({
    sessions,
    guard: async (request, server, admit) => {
      const upgrade = await admitted(request, server, admit);
      sessions.keyChanged(narrowed);
      return upgrade;
    },
  });
  cleanups.push(() => gateway.stop());
  const worker = await openRawWorker(gateway.port, "wide-key");
  cleanups.push(() => worker.socket.close());
  const registered = await worker.register(["llama-small", "qwen-small"], "gpu-1");
  expect(registered).toMatchObject({ type: "registered", accepted: ["llama-small"] });
  expect(gateway.registry.list().map((w) => w.models)).toEqual([["llama-small"]]);
});

/** A worker key's caller in tenant team-a, whose models the config binds to `models`. */
const inTeamA = (models: readonly string[]): Principal => ({
  ...jwtCaller,
  keyId: "key_1",
  role: "worker",
  tenant: "team-a",
  via: "key",
  tenantRules: { bound: true, models },
});

/**
 * A gateway whose config is reloaded (binding callers as `bind` does) the moment a worker's upgrade
 * is admitted, its principal bound by the old config (team-a on every model): before its socket opens.
 */
function reloadedAtAdmission(bind: CallerBinding) {
  const holds = new CallerHolds();
  const admitted = testGuard({
    "team-key": {
      role: "worker",
      credential: "key",
      name: "gpu-key",
      tenant: "team-a",
      models: ["*"],
      tenantModels: ["*"],
      keyId: "key_1",
    },
  });
  const gateway = startGateway({
    holds,
    guard: async (request, server, admit) => {
      const upgrade = await admitted(request, server, admit);
      if (upgrade instanceof Response) return upgrade;
      holds.configChanged(bind);
      return { ...upgrade, principal: inTeamA(["*"]) };
    },
  });
  cleanups.push(() => gateway.stop());
  return gateway;
}

test("a reload that narrows the tenant's models after a worker's upgrade was admitted and before its socket opened: the worker registers with the narrowed list", async () => {
  const gateway = reloadedAtAdmission(() => inTeamA(["llama-small"]));
  const worker = await openRawWorker(gateway.port, "team-key");
  cleanups.push(() => worker.socket.close());
  const registered = await worker.register(["llama-small", "qwen-small"], "gpu-1");
  expect(registered).toMatchObject({ type: "registered", accepted: ["llama-small"] });
  expect(gateway.registry.list().map((w) => w.models)).toEqual([["llama-small"]]);
});

test("a reload that removes the tenant after a worker's upgrade was admitted and before its socket opened: the connection is ended as the tenant's removal", async () => {
  const gateway = reloadedAtAdmission(() => {
    throw new Error("the tenant team-a is no longer configured");
  });
  const worker = await openRawWorker(gateway.port, "team-key");
  cleanups.push(() => worker.socket.close());
  const closed = await worker.waitClosed();
  expect(closed.code).toBe(CloseCode.protocolError);
  expect(closed.reason).toContain("tenant was removed");
  expect(gateway.registry.list()).toEqual([]);
});

test("a token in the query string is refused as that, 400 with what to do, before any credential is read: not a 401 for the header it lacks", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const beside: Record<string, string>[] = [
    {},
    { authorization: "Bearer wrong" },
    { authorization: "Bearer worker-key" },
  ];
  for (const headers of beside) {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/workers/connect?token=worker-key`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    expect([
      response.status,
      ((await response.json()) as { error: { message: string } }).error.message,
    ]).toEqual([
      400,
      "the worker endpoint takes no query parameters; send the token in the Authorization header",
    ]);
  }
  expect(gateway.registry.list()).toEqual([]);
});
