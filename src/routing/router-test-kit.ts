import { parseConfig } from "../config/load-config.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { upstreamError } from "../core/gateway-error.ts";
import { SseDecoder, type SseEvent } from "../core/sse.ts";
import type { LogFields, LogLevel } from "../log/logger.ts";
import type { Provider, ProviderCall, ProviderReply } from "../providers/provider.ts";
import { RouteHealth } from "./route-health.ts";
import { RouteTable, type WorkerDirectory } from "./route-table.ts";
import {
  createRouter,
  type DispatchRequest,
  type ReceivedRequest,
  type Router,
  type RouterDeps,
} from "./router.ts";

/** What an in-memory provider does on its n-th call (0-based). */
/** The circuit breaker the breaker tests configure: open after 2 failures, probe a second later. */
export const BREAKER = { failures: 2, cooldown: "1s" };

export type Script = (call: ProviderCall, n: number) => Promise<ProviderReply>;

/** An in-memory provider that records every call it gets (test support, not shipped). */
export interface FakeProvider extends Provider {
  readonly calls: ProviderCall[];
}

export function fakeProvider(
  name: string,
  // A stream to a stream request, as an upstream answers: a whole answer to one is its failure.
  script: Script = (call) => Promise.resolve(call.stream ? streamReply(1) : answerTo(call)),
): FakeProvider {
  const calls: ProviderCall[] = [];
  return {
    name,
    dialect: "openai",
    calls,
    call(call) {
      calls.push(call);
      return script(call, calls.length - 1);
    },
  };
}

/** A chat answer of one choice, said and finished: what a route that serves answers. */
export const ANSWERED: JsonObject = {
  id: "x",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
};

/**
 * An answer to each operation with the answer in it (core/holds-no-answer.ts: one without is the
 * upstream's failure, whoever built it): chat's by default.
 */
const ANSWERS: Partial<Record<Operation, JsonObject>> = {
  completions: { id: "x", choices: [{ index: 0, text: "ok", finish_reason: "stop" }] },
  embeddings: { object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5] }] },
  messages: {
    id: "msg_x",
    type: "message",
    role: "assistant",
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
  },
  responses: { id: "resp_x", object: "response", status: "completed", output: [] },
};

export const jsonReply = (body: JsonObject = ANSWERED): ProviderReply => ({
  kind: "json",
  body,
});

/** `ANSWERED` as a server's bytes say it (a worker's whole answer). */
export const CHAT_ANSWER = JSON.stringify(ANSWERED);

/** A whole answer to `call`, in its operation's shape (`ANSWERS`). */
export const answerTo = (call: ProviderCall): ProviderReply => jsonReply(ANSWERS[call.operation] ?? ANSWERED);

/** A stream of `data:` events; fails with `failAfter` events sent when given. */
export function streamReply(count: number, failAfter?: number): ProviderReply {
  async function* events(): AsyncGenerator<SseEvent> {
    for (let i = 0; i < count; i++) {
      if (i === failAfter) throw upstreamError("connection lost mid-stream");
      yield { data: JSON.stringify({ choices: [{ index: 0, delta: { content: `c${i}` } }] }) };
    }
    // Whole, as OpenAI ends a stream: without it the relay reports the stream cut off.
    yield { data: "[DONE]" };
  }
  return { kind: "stream", events: events() };
}

/** A call that never answers until its signal aborts, then rejects with the reason. */
export function never(call: ProviderCall): Promise<ProviderReply> {
  return new Promise((_resolve, reject) => {
    call.signal.addEventListener("abort", () => reject(call.signal.reason), { once: true });
  });
}

export interface Harness {
  router: Router;
  health: RouteHealth;
  /** What the router logged (a failed attempt's `route failed`). */
  logs: { message: string; fields: LogFields }[];
  /** What the breakers logged (opened, closed). */
  healthLogs: { level: LogLevel; message: string; fields?: LogFields }[];
  /** Advances the injected clock the breaker reads. */
  advance(ms: number): void;
}

/** A router over `config` (YAML-shaped) and in-memory providers, with a fake clock. */
export function routerFor(
  config: object,
  providers: FakeProvider[],
  options: {
    random?: () => number;
    shadow?: RouterDeps["shadow"];
    mayShadow?: RouterDeps["mayShadow"];
    workers?: WorkerDirectory;
  } = {},
): Harness {
  const parsed = parseConfig(config, {});
  const byName = new Map(providers.map((p) => [p.name, p as Provider]));
  const table = new RouteTable(parsed, byName, options.workers);
  let now = 1_000_000;
  const healthLogs: Harness["healthLogs"] = [];
  const record =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      healthLogs.push({ level, message, ...(fields ? { fields } : {}) });
    };
  const health = new RouteHealth(
    {
      failures: parsed.routing.circuit_breaker.failures,
      cooldownMs: parsed.routing.circuit_breaker.cooldown,
    },
    () => now,
    { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") },
  );
  const logs: Harness["logs"] = [];
  const router = createRouter({
    table: () => table,
    health,
    policy: () => ({
      retries: parsed.routing.retries,
      backoffMs: parsed.routing.backoff,
      unsupported: parsed.translation.unsupported,
    }),
    log: (message, fields) => logs.push({ message, fields }),
    ...(options.random ? { random: options.random } : {}),
    ...(options.shadow ? { shadow: options.shadow } : {}),
    ...(options.mayShadow ? { mayShadow: options.mayShadow } : {}),
  });
  return {
    router,
    health,
    logs,
    healthLogs,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A route of `modelOver`: its provider and that provider's `type`, its upstream model, any more keys of its own. */
export interface KitRoute {
  readonly provider: string;
  readonly type: string;
  readonly model: string;
  readonly [key: string]: unknown;
}

/**
 * A config (YAML-shaped) for `routerFor`: model `m` over `routes` in order, each on a provider of
 * its own, with no backoff unless `routing` says.
 */
export const modelOver = (routes: readonly KitRoute[], routing: object = {}) => ({
  providers: routes.map(({ provider, type }) => ({ name: provider, type })),
  models: [{ name: "m", routes: routes.map(({ type: _type, ...route }) => route) }],
  routing: { backoff: 0, ...routing },
});

/**
 * `modelOver` two OpenAI-shaped routes, provider `a` (upstream model `ma`) then `b` (`mb`); `first`
 * is merged into `a`'s route (its own timeouts, another upstream model).
 */
export const twoRoutes = (routing: object = {}, first: object = {}) =>
  modelOver(
    [
      { provider: "a", type: "openai", model: "ma", ...first },
      { provider: "b", type: "openai", model: "mb" },
    ],
    routing,
  );

/** The last request's `serial`: each its own, as the gateway numbers them. */
let serials = 0;

/**
 * A chat request as the front door hands it to the router (http/model-dispatch.ts): with the body's
 * bytes as received, so a route that takes them (a worker's, any `passThrough` provider's) is sent
 * them and its answer relayed as bytes, as in production. A test that means a request without them
 * says `received: undefined`.
 */
export function chatRequest(model: string, extra: Partial<DispatchRequest> = {}): DispatchRequest {
  const stream = extra.stream ?? false;
  const body = extra.body ?? { model, messages: [{ role: "user", content: "hi" }], stream };
  return {
    operation: "chat",
    model,
    stream,
    requestId: "req_test",
    serial: ++serials,
    signal: new AbortController().signal,
    ...extra,
    body,
    // Made only when the test gives none: the bytes are the body's, read once (a test may count reads).
    received: "received" in extra ? extra.received : receivedAs(body),
    // A caller outside every tenant, unless a test names one.
    tenant: extra.tenant ?? "default",
  };
}

/** `body` as the front door received it: its bytes (one parse of them is `body`), no dialect headers, no query. */
export function receivedAs(body: JsonObject): ReceivedRequest {
  return { bytes: new TextEncoder().encode(JSON.stringify(body)), body, headers: {}, query: "" };
}

/** A dispatched stream's events, decoded from the bytes a client would get; leaving early cancels it. */
export async function* eventsOf(chunks: ChunkSource): AsyncGenerator<SseEvent> {
  const decoder = new SseDecoder();
  let finished = false;
  try {
    while (true) {
      const chunk = await chunks.next();
      if (!chunk) break;
      yield* decoder.push(chunk);
    }
    finished = true;
    yield* decoder.end();
  } finally {
    if (!finished) chunks.cancel();
  }
}

/** Reads a dispatched stream to the end, collecting its data payloads. */
export async function drain(chunks: ChunkSource): Promise<string[]> {
  return Array.fromAsync(eventsOf(chunks), (event) => event.data);
}
