import { Elysia } from "elysia";
import type { GatewayEvent } from "../../audit/gateway-event.ts";
import type { KeySessions } from "../../auth/key-sessions.ts";
import type { ProviderCall, ProviderReply } from "../../providers/provider.ts";
import type { CallerHolds } from "../../tenants/caller-holds.ts";
import type { WorkerIdentity } from "../gateway/admit-worker.ts";
import { type WorkerGuard, workerEndpoint, workerWebSocketConfig } from "../gateway/worker-endpoint.ts";
import { createWorkersProvider } from "../gateway/worker-provider.ts";
import { createWorkerRegistry, type WorkerRegistry } from "../gateway/worker-registry.ts";
import { runWorker } from "../worker/worker-client.ts";
import type { WorkerLog } from "../worker-log.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";
import { testGuard } from "./test-guard.ts";

export { waitFor } from "../../testing/wait-for.ts";

/** Keys the test gateway knows. */
export const KEYS: Record<string, WorkerIdentity> = {
  "worker-key": {
    role: "worker",
    credential: "key",
    name: "gpu-key",
    tenant: "default",
    models: ["llama-*"],
  },
  "other-worker-key": {
    role: "worker",
    credential: "key",
    name: "other-key",
    tenant: "default",
    models: ["*"],
  },
  "user-key": { role: "user", credential: "key", name: "alice", tenant: "default", models: ["*"] },
  "useless-key": { role: "worker", credential: "key", name: "useless", tenant: "default", models: ["gpt-*"] },
};

export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface TestGateway {
  port: number;
  registry: WorkerRegistry;
  events: GatewayEvent[];
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  call(init: Partial<ProviderCall> & { body: ProviderCall["body"] }): Promise<ProviderReply>;
  stop(): Promise<void>;
}

export function startGateway(
  options: {
    port?: number;
    heartbeatMs?: number;
    window?: number;
    /** The upgrade's guard (default: `testGuard(KEYS)`). */
    guard?: WorkerGuard;
    /** Live sessions per key, as the gateway holds its workers' connections under their keys. */
    sessions?: KeySessions;
    /** What callers hold open, held to the config in force (a reload tells it: `configChanged`). */
    holds?: CallerHolds;
  } = {},
): TestGateway {
  const events: GatewayEvent[] = [];
  const logs: TestGateway["logs"] = [];
  const log: WorkerLog = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const registry = createWorkerRegistry({
    onEvent: (e) => events.push(e),
    log,
    heartbeatMs: options.heartbeatMs ?? 1_000,
  });
  const app = new Elysia({ websocket: workerWebSocketConfig(MAX_MESSAGE_BYTES) })
    .use(
      workerEndpoint({
        registry,
        guard: options.guard ?? testGuard(KEYS),
        ...(options.sessions ? { sessions: options.sessions } : {}),
        ...(options.holds ? { holds: options.holds } : {}),
        terms: () => ({ admission: {}, drainMs: 30_000 }),
        log,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        ...(options.window ? { window: options.window } : {}),
      }),
    )
    .listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
  const provider = createWorkersProvider(registry);
  let n = 0;
  return {
    port: app.server?.port ?? 0,
    registry,
    events,
    logs,
    call: (init) =>
      provider.call({
        operation: "chat",
        stream: false,
        requestId: `req-${++n}-${Math.random().toString(36).slice(2)}`,
        signal: new AbortController().signal,
        timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
        ...init,
      }),
    stop: async () => {
      registry.close();
      await app.stop(true);
    },
  };
}

/** Collects a stream reply's event data. */
export async function collect(reply: ProviderReply): Promise<string[]> {
  if (reply.kind !== "stream") throw new Error("expected a stream");
  return Array.fromAsync(reply.events, (event) => event.data);
}

/** A test gateway with a real `mindgw worker` dialled in over its WebSocket, and the worker's upstream. */
export interface GatewayWithWorker {
  gateway: TestGateway;
  upstream: FakeUpstream;
  exit: Promise<number>;
  stop: AbortController;
  /** The worker's log lines, `level message`. */
  workerLogs: string[];
}

/**
 * Starts a fake upstream, a test gateway and a worker connected to it; `cleanups` gets the
 * stop of all three, in the order that lets the worker drain first.
 */
export async function startGatewayWithWorker(
  cleanups: (() => Promise<void> | void)[],
  options: {
    models?: string[];
    concurrency?: number;
    token?: string;
    name?: string;
    labels?: Record<string, string>;
  } = {},
): Promise<GatewayWithWorker> {
  const upstream = startFakeUpstream();
  const gateway = startGateway();
  const stop = new AbortController();
  const workerLogs: string[] = [];
  const log: WorkerLog = (level, message) => workerLogs.push(`${level} ${message}`);
  const exit = runWorker({
    connect: `http://127.0.0.1:${gateway.port}`,
    token: options.token ?? "worker-key",
    upstream: `${upstream.url}/v1/`,
    ...(options.models ? { models: options.models } : {}),
    concurrency: options.concurrency ?? 16,
    name: options.name ?? "gpu-1",
    labels: options.labels ?? { zone: "lab" },
    log,
    handleSignals: false,
    stop: stop.signal,
    backoff: { baseMs: 20, capMs: 200 },
    drainTimeoutMs: 5_000,
  });
  cleanups.push(async () => {
    stop.abort();
    await exit;
    await gateway.stop();
    upstream.stop();
  });
  return { gateway, upstream, exit, stop, workerLogs };
}
