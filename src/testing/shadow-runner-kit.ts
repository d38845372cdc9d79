import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import { configSchema } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { JsonObject } from "../core/dialect.ts";
import { silentLogger } from "../log/logger.ts";
import { PriceBook } from "../pricing/price-book.ts";
import type { Provider, ProviderCall } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import type { ShadowRecord } from "../shadow/shadow-api-schema.ts";
import { createShadowRunner } from "../shadow/shadow-runner.ts";
import { threadRulesOf } from "../shadow/thread-rules.ts";

/**
 * Test support for the shadow runner's tests (src/shadow/shadow-runner*.test.ts): a runner over a
 * shadow route whose upstream never answers, the client requests it is handed, and their answers
 * and audit records as the gateway would give them.
 */

let calls = 0;
/** How many calls the hanging upstream has had. */
export const hangingCalls = () => calls;

/** A shadow upstream that never answers: its call settles only when its signal aborts. */
export const hanging: Provider = {
  name: "hanging",
  dialect: "openai",
  call: (call: ProviderCall) => {
    calls++;
    return new Promise((_, reject) =>
      call.signal.addEventListener("abort", () => reject(call.signal.reason), { once: true }),
    );
  },
};
/** The shadow route to the hanging upstream. */
export const route: Route = {
  provider: hanging,
  upstreamModel: "candidate",
  weight: 1,
  timeouts: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 },
  key: "hanging/candidate",
  label: "provider:hanging",
};
export const config = configSchema.parse({
  providers: [{ name: "hanging", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "hanging", model: "candidate" }] }],
});

/** A shadow runner whose copies of a request time out after `timeout` ms, its pairs kept in `stored`. */
export function runner(
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
export function requestOf(requestId: string): DispatchRequest {
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
export function answered(): Dispatched {
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
export function mirrored(
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
export function finishedRecord(requestId: string): AuditRecord {
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
