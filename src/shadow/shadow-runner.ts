import type { AuditRecord } from "../audit/audit-record.ts";
import { type RedactBody, redactSafely } from "../audit/redact-body.ts";
import type { Principal } from "../auth/principal.ts";
import type { Pricing } from "../auth/rate-limiter.ts";
import type { Config } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import { captureChunks } from "../core/capture-chunks.ts";
import { unavailable, upstreamTimeout } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest, RouterDeps } from "../routing/router.ts";
import { agreementOf } from "./agreement.ts";
import { type Answer, answerFromJson, answerFromSseText } from "./answer.ts";
import type { ShadowRecord, ShadowSide } from "./shadow-api-schema.ts";
import { callShadow, type ShadowOutcome } from "./shadow-call.ts";
import { createShadowThread, type ShadowThreadMode, shadowThreadMode } from "./shadow-thread-client.ts";

export interface ShadowRunnerOptions {
  /** `shadow:` of the current config (cap, timeout, answer bound). */
  readonly settings: () => Config["shadow"];
  /** `audit.bodies`: answers are kept with a pair only while bodies may be kept. */
  readonly keepAnswers: () => boolean;
  readonly redact: RedactBody;
  readonly pricing: () => Pricing;
  /** Where pairs are kept (`Storage.shadow`); absent: pairs are compared and logged, not kept. */
  readonly store: { insert(records: readonly ShadowRecord[]): Promise<void> } | undefined;
  /** `audit.flush_ms`: how long a finished pair may wait to be compared and written with others. */
  readonly flushMs?: () => number;
  readonly logger: Logger;
  /** The route a tenant's or an app's shadow target names, under the current config. */
  readonly routeFor: (target: ShadowTarget) => Route | undefined;
  readonly now?: () => number;
  readonly random?: () => number;
  /**
   * Which same-dialect copies are sent from the shadow thread (shadow-thread.ts), off the event
   * loop; default from `MINDGW_SHADOW_THREAD` (`shadowThreadMode`: stream copies). Copies to a
   * provider that sends through a `fetch` of its own, or that are translated, run on the event
   * loop either way.
   */
  readonly thread?: ShadowThreadMode;
}

export interface ShadowRunner {
  /** The router's `shadow` hook: picks the shadow (app's, else tenant's, else model's) and samples. */
  readonly hook: NonNullable<RouterDeps["shadow"]>;
  /**
   * A request began, with its caller when known (whose tenant's or app's shadow applies). The
   * gateway calls these two from its request observer (gateway/build-shadow.ts).
   */
  started(requestId: string, principal: Principal | null | undefined): void;
  /** A request ended: its audit record completes its pair, if it was mirrored. */
  finished(record: AuditRecord): void;
  /** Copies not sent because `shadow.max_concurrent` were already in flight, since start. */
  shed(): number;
  /** Shadow calls in flight now. */
  inFlight(): number;
  /** Cuts off shadow calls still running and waits until every pair is recorded. */
  close(): Promise<void>;
}

/** One mirrored request while its two sides finish, in either order. */
interface Pair {
  readonly route: Route;
  readonly request: DispatchRequest;
  /** Read only when the pair is recorded (and only if the primary succeeded): off the request path. */
  primaryAnswer?: () => Answer;
  primaryRecord?: AuditRecord;
  shadow?: ShadowOutcome;
  /** When the pair finished (both sides in): the record's time. */
  at?: number;
}

type Finished = Pair & { primaryRecord: AuditRecord; shadow: ShadowOutcome };

/** A shadow call's own timeout: the reason its signal carries (recorded as a 504). */
function timedOut(controller: AbortController, timeoutMs: number): void {
  controller.abort(upstreamTimeout(`shadow timed out after ${timeoutMs} ms`));
}

/** A batch this large is compared and written at once, without waiting for the flush window. */
const BATCH = 500;

/**
 * Runs shadow copies off the client's path: never awaited by the request, capped (a copy over
 * the cap is shed and counted, never queued), each under its own timeout. When both the
 * primary's audit record and the shadow's outcome are in, the pair is queued; queued pairs are
 * compared and written together, every `audit.flush_ms` or `BATCH` pairs (one transaction), so
 * the work a request leaves behind is a queue push, and the comparisons run in one pass per batch.
 * A batch the store refuses is logged and dropped (pairs are measurements, not the audit log).
 */
export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  /** Callers of requests under way, from their start: whose tenant's or app's shadow applies. */
  const callers = new Map<string, Principal>();
  const pending = new Map<string, Pair>();
  /** Batches being written. */
  const recording = new Set<Promise<void>>();
  /** Shadow calls in flight: how to cut each off, and when it is done. */
  const flights = new Map<AbortController, Promise<void>>();
  let running = 0;
  /** Set by `close`: copies not started yet are recorded as cut off, none are sampled. */
  let stopping = false;
  let shed = 0;
  const threadMode = options.thread ?? shadowThreadMode();
  const thread = threadMode === "off" ? undefined : createShadowThread();
  const allThreaded = threadMode === "all";

  const side = (
    outcome: Pick<ShadowOutcome, "status" | "errorClass" | "latencyMs" | "ttftMs">,
    route: string | null,
    upstreamModel: string | null,
    tokens: { input: number; output: number },
    costUsd: number,
    answer: Answer | null | undefined,
  ): ShadowSide => {
    const limit = options.settings().max_answer;
    const keep = options.keepAnswers() && answer;
    return {
      route,
      upstreamModel,
      status: outcome.status,
      errorClass: outcome.errorClass,
      latencyMs: Math.round(outcome.latencyMs * 100) / 100,
      ttftMs: outcome.ttftMs === null ? null : Math.round(outcome.ttftMs * 100) / 100,
      inputTokens: tokens.input,
      outputTokens: tokens.output,
      costUsd,
      answer: keep ? redactSafely(options.redact, answer.text.slice(0, limit), "response") : null,
    };
  };

  /** Builds the stored record of a finished pair: answers read, compared and priced. */
  const recordOf = (pair: Pair & { primaryRecord: AuditRecord; shadow: ShadowOutcome }): ShadowRecord => {
    const { primaryRecord: primary, shadow } = pair;
    const ok = primary.status >= 200 && primary.status < 300;
    const primaryAnswer = ok ? (pair.primaryAnswer?.() ?? null) : null;
    const usage = shadow.usage;
    return {
      // Time-ordered (UUIDv7): the stores' unique index on it grows at its end, not at random.
      id: Bun.randomUUIDv7(),
      requestId: primary.requestId,
      at: pair.at ?? now(),
      tenant: primary.tenant,
      keyName: primary.keyName,
      model: pair.request.model,
      stream: pair.request.stream,
      primary: side(
        {
          status: primary.status,
          errorClass: primary.errorClass,
          latencyMs: primary.latencyMs,
          ttftMs: pair.request.stream ? primary.ttfbMs : null,
        },
        primary.route,
        primary.upstreamModel,
        { input: primary.inputTokens, output: primary.outputTokens },
        primary.costUsd,
        primaryAnswer,
      ),
      shadow: side(
        shadow,
        pair.route.label,
        pair.route.upstreamModel,
        { input: usage.inputTokens, output: usage.outputTokens },
        options.pricing().cost(pair.route.upstreamModel, usage, {
          route: pair.route.label,
          upstreamModel: pair.route.upstreamModel,
        }),
        shadow.answer,
      ),
      agreement: agreementOf(pair.request.body, primaryAnswer, shadow.answer),
    };
  };

  const queue: Finished[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** Compares and writes every queued pair, one batch (one transaction) at a time. */
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    while (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      const records = batch.map(recordOf);
      if (!options.store) {
        for (const record of records)
          options.logger.info("shadow compared", {
            request_id: record.requestId,
            model: record.model,
            shadow_status: record.shadow.status,
            similarity: record.agreement.similarity ?? "n/a",
          });
        continue;
      }
      const saving = options.store
        .insert(records)
        .catch((error: unknown) =>
          options.logger.warn("recording shadow pairs failed; they are dropped", {
            pairs: records.length,
            error: error instanceof Error ? error.message : String(error),
          }),
        )
        .finally(() => recording.delete(saving));
      recording.add(saving);
    }
  };

  const complete = (id: string, pair: Pair) => {
    const { primaryRecord, shadow } = pair;
    if (!primaryRecord || !shadow) return;
    pending.delete(id);
    pair.at = now();
    queue.push(pair as Finished);
    if (queue.length >= BATCH) flush();
    else if (timer === null) {
      timer = setTimeout(flush, options.flushMs?.() ?? 100);
      // A forgotten runner must not keep the process alive; close() flushes.
      timer.unref();
    }
  };

  const run = (id: string, pair: Pair) => {
    if (stopping) {
      // Sampled just before the stop: recorded as cut off without calling the upstream.
      const failure = unavailable("the gateway stopped");
      running--;
      pair.shadow = {
        status: failure.status,
        errorClass: failure.code,
        latencyMs: 0,
        ttftMs: null,
        usage: { inputTokens: 0, outputTokens: 0 },
        answer: null,
      };
      complete(id, pair);
      return;
    }
    const controller = new AbortController();
    const timeoutMs = options.settings().timeout;
    const timer = setTimeout(timedOut, timeoutMs, controller, timeoutMs);
    // One promise per call: its own callback forgets it (no `finally` chained on for that).
    const through = allThreaded || pair.request.stream ? thread : undefined;
    const done = callShadow(pair.route, pair.request, controller.signal, through).then((outcome) => {
      clearTimeout(timer);
      flights.delete(controller);
      running--;
      pair.shadow = outcome;
      complete(id, pair);
    });
    flights.set(controller, done);
  };

  /**
   * Hands the client the same answer, keeping what it takes to read the primary's text later
   * (the parsed body, its bytes, or its captured stream text): nothing is parsed on the way.
   */
  const watchPrimary = (pair: Pair, reply: ClientReply): ClientReply => {
    const { operation } = pair.request;
    if (reply.kind === "json") {
      pair.primaryAnswer = () => answerFromJson(operation, reply.body);
      return reply;
    }
    if (reply.kind === "bytes") {
      const { parsed } = reply;
      if (parsed) {
        pair.primaryAnswer = () => answerFromJson(operation, parsed);
        return reply;
      }
      pair.primaryAnswer = () => {
        const text = new TextDecoder().decode(reply.body);
        try {
          return answerFromJson(operation, JSON.parse(text));
        } catch {
          return answerFromSseText(operation, text);
        }
      };
      return reply;
    }
    return {
      ...reply,
      chunks: captureChunks(reply.chunks, (text) => {
        pair.primaryAnswer = () => answerFromSseText(operation, text);
      }),
    };
  };

  return {
    hook(modelShadow, request, primary) {
      const caller = callers.get(request.requestId);
      const override = caller?.appShadow ?? caller?.tenantRules?.shadow;
      const chosen = override
        ? { route: options.routeFor(override), sample: override.sample }
        : { route: modelShadow?.route, sample: modelShadow?.sample ?? 0 };
      const route = chosen.route;
      if (stopping || !route || random() >= chosen.sample) return primary;
      if (running >= options.settings().max_concurrent) {
        shed++;
        return primary;
      }
      running++;
      const pair: Pair = { route, request };
      pending.set(request.requestId, pair);
      // Started on the next turn: the client's answer is handed back first.
      queueMicrotask(() => run(request.requestId, pair));
      return { ...primary, reply: watchPrimary(pair, primary.reply) };
    },
    started(requestId, principal) {
      if (principal) callers.set(requestId, principal);
    },
    finished(record) {
      callers.delete(record.requestId);
      const pair = pending.get(record.requestId);
      if (!pair) return;
      pair.primaryRecord = record;
      complete(record.requestId, pair);
    },
    shed: () => shed,
    inFlight: () => running,
    async close() {
      // A stop does not wait out slow shadows: they are cut off and recorded as such.
      stopping = true;
      for (const controller of flights.keys()) controller.abort(unavailable("the gateway stopped"));
      // `running` also counts copies sampled but not started yet (they start on the next turn).
      while (running > 0 || flights.size > 0 || recording.size > 0 || queue.length > 0) {
        flush();
        await Promise.allSettled([...flights.values(), ...recording]);
      }
      thread?.close();
    },
  };
}
