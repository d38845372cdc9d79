import type { AuditRecord } from "../audit/audit-record.ts";
import type { RedactBody } from "../audit/redact-body.ts";
import type { Config } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { JsonObject } from "../core/dialect.ts";
import { silentLogger } from "../log/logger.ts";
import { PriceBook } from "../pricing/price-book.ts";
import type { Provider } from "../providers/provider.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import { receivedAs } from "../routing/router-test-kit.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { createShadowRunner } from "./shadow-runner.ts";
import type { ShadowThreadMode } from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

// Test support (not shipped): what the shadow runner's tests build alike, over a hanging upstream
// (src/testing/shadow-runner-kit.ts) or a fake one (shadow-owned-fixture.ts): the shadow route, a
// runner whose pairs land in `stored`, a client request numbered as the gateway numbers them, the
// primary's dispatch and the audit record of its answer.

/** The shadow route to `provider`'s model `candidate`. */
export const shadowRoute = (provider: Provider): Route => ({
  provider,
  upstreamModel: "candidate",
  weight: 1,
  timeouts: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 },
  key: `${provider.name}/candidate`,
  label: `provider:${provider.name}`,
});

export interface FixtureRunnerOptions {
  readonly config: Config;
  /** How long a copy may take (ms). */
  readonly timeout: number;
  readonly maxConcurrent: number;
  /** Pairs keep the answers (`audit.bodies`). */
  readonly keepAnswers: boolean;
  readonly redact: RedactBody;
  readonly thread: ShadowThreadMode;
  /** Given: pairs sent from the shadow thread are recorded there. */
  readonly threadRules?: () => ThreadRules;
  readonly routeFor?: (target: ShadowTarget) => Route | undefined;
  /** The draw each request's sample is compared with (Math.random when not given). */
  readonly random?: () => number;
  /** The store also takes the thread's batches as JSON text (`insertJson`), noted in `jsonBatches`. */
  readonly insertJson?: boolean;
}

/** A shadow runner whose pairs are kept in `stored`, flushed every millisecond, logging nothing. */
export function fixtureRunner(options: FixtureRunnerOptions) {
  const { config, timeout, maxConcurrent, threadRules, random } = options;
  const stored: ShadowRecord[] = [];
  const jsonBatches: string[] = [];
  const shadow = createShadowRunner({
    settings: () => ({ ...config.shadow, timeout, max_concurrent: maxConcurrent }),
    keepAnswers: () => options.keepAnswers,
    redact: options.redact,
    pricing: () => new PriceBook(config),
    store: {
      async insert(records) {
        stored.push(...records);
      },
      ...(options.insertJson
        ? {
            async insertJson(json: string) {
              jsonBatches.push(json);
              stored.push(...(JSON.parse(json) as ShadowRecord[]));
            },
          }
        : {}),
    },
    flushMs: () => 1,
    logger: silentLogger,
    routeFor: options.routeFor ?? (() => undefined),
    thread: options.thread,
    ...(threadRules ? { threadRules } : {}),
    ...(random ? { random } : {}),
  });
  return { shadow, stored, jsonBatches };
}

/** The last request's `serial`: each its own, as the gateway numbers them. */
let serials = 0;

/** A client's chat request for model m as the router has it. */
export function clientRequest(
  requestId: string,
  body: JsonObject,
  stream = false,
  telemetry?: DispatchTelemetry,
): DispatchRequest {
  return {
    operation: "chat",
    body,
    model: "m",
    stream,
    requestId,
    serial: ++serials,
    tenant: "default",
    signal: new AbortController().signal,
    received: receivedAs(body),
    ...(telemetry ? { telemetry } : {}),
  };
}

/** The primary's dispatch of a client request, answered with `reply` by provider fake. */
export const primaryDispatch = (
  reply: ClientReply,
  inputTokens: number,
  outputTokens: number,
): Dispatched => ({
  reply,
  route: "provider:fake",
  upstreamModel: "m",
  attempts: 1,
  dropped: [],
  usage: () => ({ inputTokens, outputTokens }),
  answeredModel: () => undefined,
});

/** The audit record of a client request that provider fake answered (200), `fields` over it. */
export const answeredRecord = (requestId: string, fields: Partial<AuditRecord> = {}): AuditRecord => ({
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
  ...fields,
});
