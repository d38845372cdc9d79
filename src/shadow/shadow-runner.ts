import type { AuditRecord } from "../audit/audit-record.ts";
import { type RedactBody, redactSecrets } from "../audit/redact-body.ts";
import type { Principal } from "../auth/principal.ts";
import type { Pricing } from "../auth/rate-limiter.ts";
import type { Config } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import { MAX_CAPTURED_STREAM } from "../core/capture-chunks.ts";
import { unavailable, upstreamTimeout } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest, RouterDeps } from "../routing/router.ts";
import type { ShadowStore } from "../storage/storage.ts";
import { captureBytes } from "./capture-bytes.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { callShadow, type ShadowOutcome } from "./shadow-call.ts";
import {
  answerOf,
  type PrimarySource,
  pairFacts,
  primaryFacts,
  type RecordRules,
  shadowRecord,
} from "./shadow-record.ts";
import {
  createShadowThread,
  type ShadowThread,
  type ShadowThreadMode,
  shadowThreadMode,
} from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

export interface ShadowRunnerOptions {
  /** `shadow:` of the current config (cap, timeout, answer bound). */
  readonly settings: () => Config["shadow"];
  /** `audit.bodies`: answers are kept with a pair only while bodies may be kept. */
  readonly keepAnswers: () => boolean;
  readonly redact: RedactBody;
  readonly pricing: () => Pricing;
  /** Where pairs are kept (`Storage.shadow`); absent: pairs are compared and logged, not kept. */
  readonly store: Pick<ShadowStore, "insert" | "insertJson"> | undefined;
  /** `audit.flush_ms`: how long a finished pair may wait to be compared and written with others. */
  readonly flushMs?: () => number;
  readonly logger: Logger;
  /** The route a tenant's or an app's shadow target names, under the current config. */
  readonly routeFor: (target: ShadowTarget) => Route | undefined;
  readonly now?: () => number;
  readonly random?: () => number;
  /**
   * Which same-dialect copies are sent from the shadow thread (shadow-thread.ts), off the event
   * loop; default from `MINDGW_SHADOW_THREAD` (`shadowThreadMode`: every copy). Copies to a
   * provider that sends through a `fetch` of its own, or that are translated, run on the event
   * loop either way.
   */
  readonly thread?: ShadowThreadMode;
  /**
   * The current config's rules for recording a pair on the shadow thread (one object per config
   * version). Given, with a store and the default redaction hook, a copy sent from the thread
   * stays there whole: it is timed out, compared, priced and recorded there, and its records come
   * back in batches as JSON text for the store (`ShadowStore.insertJson` where the store has it).
   * Absent, or with an embedder's redaction hook, pairs are recorded on the event loop.
   */
  readonly threadRules?: () => ThreadRules;
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
  source?: PrimarySource;
  primaryRecord?: AuditRecord;
  /** Its id on the shadow thread once handed over whole (an owned pair). */
  handed?: number;
  shadow?: ShadowOutcome;
  /** When the pair finished (both sides in): the record's time. */
  at?: number;
}

type Finished = Pair & { primaryRecord: AuditRecord; shadow: ShadowOutcome };

/** A shadow call's own timeout: the reason its signal carries (recorded as a 504). */
function timedOut(controller: AbortController, timeoutMs: number): void {
  controller.abort(upstreamTimeout(`shadow timed out after ${timeoutMs} ms`));
}

/** What a copy handed to the thread whole answers on the event loop: nothing to record here. */
const HANDED: ShadowOutcome = {
  status: 0,
  errorClass: null,
  latencyMs: 0,
  ttftMs: null,
  usage: { inputTokens: 0, outputTokens: 0 },
  answer: null,
};

/**
 * The way a copy is handed to the shadow thread whole: the capture (shadow-call.ts) goes to the
 * thread as an owned pair with what is left of its timeout; the current rules go first when the
 * config changed since the last copy.
 */
function handOver(thread: ShadowThread, rules: () => ThreadRules) {
  let sent: ThreadRules | undefined;
  return (pair: Pair, timeoutMs: number): Pick<ShadowThread, "exchange"> => {
    const started = performance.now();
    return {
      exchange(copy, signal) {
        // A failed thread answers the copy as failed, recorded here as any other.
        if (!thread.usable()) return thread.exchange(copy, signal);
        const current = rules();
        if (current !== sent) {
          sent = current;
          thread.rules(current);
        }
        const left = Math.max(0, timeoutMs - (performance.now() - started));
        const facts = pairFacts(pair.request, pair.route);
        pair.handed = thread.hand({ ...copy, pair: { facts, timeoutMs: left } });
        return Promise.resolve(HANDED);
      },
    };
  };
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
  const allThreaded = threadMode === "all";
  const store = options.store;
  const threadRules = options.redact === redactSecrets && store ? options.threadRules : undefined;
  /** Called when nothing runs any more (close waits on it). */
  let idle: (() => void)[] = [];
  const release = () => {
    running--;
    if (running > 0) return;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };
  const thread =
    threadMode === "off"
      ? undefined
      : createShadowThread({
          done: release,
          records: (json) => {
            if (!store) return;
            const saving = (store.insertJson ? store.insertJson(json) : store.insert(JSON.parse(json)))
              .catch((error: unknown) =>
                options.logger.warn("recording shadow pairs failed; they are dropped", {
                  pairs: (JSON.parse(json) as unknown[]).length,
                  error: error instanceof Error ? error.message : String(error),
                }),
              )
              .finally(() => recording.delete(saving));
            recording.add(saving);
          },
          failed: (lost, reason) =>
            options.logger.error(
              "the shadow thread failed; its pairs in flight are not recorded, later copies fail",
              {
                pairs: lost,
                error: reason,
              },
            ),
        });
  /** Owned pairs: the thread sends, compares and records them (see `threadRules`). */
  const owner = thread && threadRules ? handOver(thread, threadRules) : undefined;

  const rules = (): RecordRules => ({
    maxAnswer: options.settings().max_answer,
    keepAnswers: options.keepAnswers(),
    redact: options.redact,
    pricing: options.pricing(),
  });

  /** Builds the stored record of a finished pair on the event loop: answers read, compared and priced. */
  const recordOf = (pair: Finished, with_: RecordRules): ShadowRecord => {
    const { source } = pair;
    return shadowRecord(
      pairFacts(pair.request, pair.route),
      pair.primaryRecord,
      source && (() => answerOf(pair.request.operation, source)),
      pair.shadow,
      pair.at ?? now(),
      with_,
    );
  };

  const queue: Finished[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** Compares and writes every queued pair, one batch (one transaction) at a time. */
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    while (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      const current = rules();
      const records = batch.map((pair) => recordOf(pair, current));
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
      release();
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
    const threaded = allThreaded || pair.request.stream;
    const through = threaded ? (owner?.(pair, timeoutMs) ?? thread) : undefined;
    const done = callShadow(pair.route, pair.request, controller.signal, through).then((outcome) => {
      clearTimeout(timer);
      flights.delete(controller);
      if (pair.handed !== undefined) {
        // Now the thread's: it answers `release` when the copy is done.
        if (pair.primaryRecord) handPrimary(id, pair);
        return;
      }
      release();
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
    if (reply.kind === "json") {
      pair.source = { kind: "json", body: reply.body };
      return reply;
    }
    if (reply.kind === "bytes") {
      pair.source = { kind: "bytes", body: reply.body, parsed: reply.parsed };
      return reply;
    }
    return {
      ...reply,
      chunks: captureBytes(
        reply.chunks,
        (body) => {
          pair.source = { kind: "sse", body };
        },
        MAX_CAPTURED_STREAM,
      ),
    };
  };

  /** The primary's side of an owned pair, to the thread (its bytes, not their parse, cross). */
  const handPrimary = (id: string, pair: Pair) => {
    const record = pair.primaryRecord;
    if (!thread || pair.handed === undefined || !record) return;
    pending.delete(id);
    const ok = record.status >= 200 && record.status < 300;
    const source = pair.source;
    const answer =
      !ok || !source
        ? undefined
        : source.kind === "bytes"
          ? { kind: "bytes" as const, body: source.body }
          : source;
    thread.primary({ id: pair.handed, facts: primaryFacts(record), ...(answer ? { answer } : {}) });
  };

  /**
   * A sampled request: its copy starts on the next turn and the client's answer is watched for
   * the comparison. Its closures are made here, for sampled requests only (in `hook` they would
   * make a scope object on every request).
   */
  const shadowed = (route: Route, request: DispatchRequest, primary: Dispatched): Dispatched => {
    running++;
    const pair: Pair = { route, request };
    pending.set(request.requestId, pair);
    // Started on the next turn: the client's answer is handed back first.
    queueMicrotask(() => run(request.requestId, pair));
    // Not a spread: the router's answer is an object whose usage is a method (routing/route-attempt.ts).
    const reply = watchPrimary(pair, primary.reply);
    return {
      route: primary.route,
      upstreamModel: primary.upstreamModel,
      attempts: primary.attempts,
      dropped: primary.dropped,
      reply,
      usage: () => primary.usage(),
    };
  };

  return {
    hook(modelShadow, request, primary) {
      const caller = callers.get(request.requestId);
      const override = caller?.appShadow ?? caller?.tenantRules?.shadow;
      // Locals, not a chosen {route, sample} object: this runs on every request, sampled or not.
      const route = override ? options.routeFor(override) : modelShadow?.route;
      const sample = override ? override.sample : (modelShadow?.sample ?? 0);
      if (stopping || !route || random() >= sample) return primary;
      if (running >= options.settings().max_concurrent) {
        shed++;
        return primary;
      }
      return shadowed(route, request, primary);
    },
    started(requestId, principal) {
      if (principal) callers.set(requestId, principal);
    },
    finished(record) {
      callers.delete(record.requestId);
      const pair = pending.get(record.requestId);
      if (!pair) return;
      pair.primaryRecord = record;
      if (pair.handed !== undefined) handPrimary(record.requestId, pair);
      else complete(record.requestId, pair);
    },
    shed: () => shed,
    inFlight: () => running,
    async close() {
      // A stop does not wait out slow shadows: they are cut off and recorded as such.
      stopping = true;
      for (const controller of flights.keys()) controller.abort(unavailable("the gateway stopped"));
      if (owner) thread?.stop();
      // `running` also counts copies sampled but not started yet (they start on the next turn),
      // and owned copies until the thread says they are done.
      const idleNow = () => (running > 0 ? new Promise<void>((resolve) => idle.push(resolve)) : undefined);
      while (running > 0 || flights.size > 0 || recording.size > 0 || queue.length > 0) {
        flush();
        await Promise.allSettled([...flights.values(), ...recording, idleNow()]);
      }
      // Owned pairs finished in the thread come back as records; then they are written.
      if (owner) await thread?.flush();
      await Promise.allSettled([...recording]);
      thread?.close();
    },
  };
}
