import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import type { Principal } from "../auth/principal.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import { afterTimeout } from "../core/after.ts";
import { type GatewayError, unavailable, upstreamTimeout } from "../core/gateway-error.ts";
import { IdTable } from "../core/id-table.ts";
import { LONGEST_TIMER_MS } from "../core/timer-delay.ts";
import { couldServe } from "../routing/could-serve.ts";
import { attemptInfo, type Route } from "../routing/route.ts";
import type { ModelPlan } from "../routing/route-table.ts";
import type { Dispatched, DispatchRequest, RouterDeps } from "../routing/router.ts";
import type { CopyTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { ShadowCounts } from "../telemetry/metrics/metric-sources.ts";
import { CopyCounts } from "./copy-counts.ts";
import { comparable, copyRoute } from "./copy-route.ts";
import { handOver } from "./hand-over.ts";
import { createPairBatches } from "./pair-batches.ts";
import { type CopyEnd, copyFailure, failed } from "./read-copy.ts";
import { RunningCopies } from "./running-copies.ts";
import { callShadow, SHED } from "./shadow-call.ts";
import type { FinishedPair, Pair } from "./shadow-pair.ts";
import type { RecordRules } from "./shadow-record.ts";
import type { ShadowRunnerOptions } from "./shadow-runner-options.ts";
import { ShadowSpend } from "./shadow-spend.ts";
import { createShadowThread, shadowThreadMode } from "./shadow-thread-client.ts";
import { threadPrimary } from "./thread-primary.ts";
import { watchPrimary } from "./watch-primary.ts";

export interface ShadowRunner {
  /** The router's `shadow` hook: picks the shadow (app's, else tenant's, else model's) and samples. */
  readonly hook: NonNullable<RouterDeps["shadow"]>;
  /** The router's `mayShadow`: whether `hook` may copy the request (the shadow it picks samples some). */
  readonly mayCopy: NonNullable<RouterDeps["mayShadow"]>;
  /**
   * A request began, with its caller when known (whose tenant's or app's shadow applies). The
   * gateway calls these two from its request observer (gateway/build-shadow.ts), each with the
   * request's `serial` (`DispatchRequest.serial`): its request id may be another request's too.
   */
  started(serial: number, principal: Principal | null | undefined): void;
  /** A request ended: its audit record completes its pair, if it was mirrored. */
  finished(record: AuditRecord, serial: number): void;
  /** Shadow calls in flight now. */
  inFlight(): number;
  /** Shed, in flight, and the copies over by provider and outcome: for `/metrics` and the admin API. */
  counts(): ShadowCounts;
  /** Cuts off shadow calls still running and waits until every pair is recorded. */
  close(): Promise<void>;
}

/** The copies' own timeouts past the longest a timer holds. */
const after = afterTimeout();

/** A shadow call's own timeout: the reason its signal carries (recorded as a 504). */
function timedOut(controller: AbortController, timeoutMs: number): void {
  controller.abort(upstreamTimeout(`shadow timed out after ${timeoutMs} ms`));
}

/**
 * Runs shadow copies off the client's path: never awaited by the request, capped (a copy over
 * the cap is shed and counted, never queued), each under its own timeout. When both the
 * primary's audit record and the shadow's outcome are in, the pair is queued to be compared and
 * written with others (pair-batches.ts).
 */
export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  // By the request's serial (`DispatchRequest.serial`), never its id, which a caller chooses: two
  // requests under one id (another tenant's, or calls a backend fans out under its own) would take
  // each other's caller's shadow and pairs. In IdTables, not Maps: every entry leaves again, and a
  // long-lived Map that entries leave keeps each (a pair holds the request and its body) alive
  // through young collections until a full one (core/key-table.ts).
  /** Callers of requests under way whose tenant's or app's shadow applies, from their start. */
  const callers = new IdTable<Principal>();
  const pending = new IdTable<Pair>();
  /** Shadow calls in flight: how to cut each off, and when it is done. */
  const flights = new IdTable<{ controller: AbortController; done: Promise<void> }>();
  let flightIds = 0;
  const running = new RunningCopies();
  /** Set by `close`: copies not started yet are recorded as cut off, none are sampled. */
  let stopping = false;
  /**
   * Copies never sent: `shed` when no slot was free (here, or at every upstream of the route),
   * `skipped` when their route could not carry the request as asked (shadow-call.ts `notCarried`).
   */
  const unsent = { shed: 0, skipped: 0 };
  const threadMode = options.thread ?? shadowThreadMode();
  const allThreaded = threadMode === "all";
  const store = options.store;
  const threadRules = options.redact === redactSecrets && store ? options.threadRules : undefined;
  const rules = (): RecordRules => ({
    maxAnswer: options.settings().max_answer,
    keepAnswers: options.keepAnswers(),
    redact: options.redact,
    pricing: options.pricing(),
  });
  const spend = new ShadowSpend(options.modelLabel ?? ((model) => model));
  const spent = (model: string, usd: number) => spend.add(model, usd);
  const batches = createPairBatches({
    store,
    logger: options.logger,
    rules,
    now,
    flushMs: options.flushMs,
    spent,
  });

  const ended = new CopyCounts();
  /** A copy is over: counted, and its span (if it has one) closed, with how it ended. */
  const over = (route: Route, copy: CopyTelemetry | undefined, how: CopyEnd | undefined) => {
    const failure = copyFailure(how);
    ended.add(route.provider.name, failure?.code ?? "ok");
    copy?.closed(failure);
  };
  /** Owned copies in flight, by their id on the thread: what `over` needs when the thread is done with one. */
  const owned = new IdTable<{ readonly route: Route; readonly copy: CopyTelemetry | undefined }>();
  const ownedDone = (id: number, how?: CopyEnd) => {
    running.release();
    const flight = owned.get(id);
    if (!flight) return;
    owned.delete(id);
    over(flight.route, flight.copy, how);
  };
  const thread =
    threadMode === "off"
      ? undefined
      : createShadowThread({
          done: ownedDone,
          records: (json) => batches.saveJson(json),
          spent,
          failed: (lost, reason) =>
            options.logger.error(
              "the shadow thread failed; its pairs in flight are not recorded, later copies fail",
              {
                pairs: lost,
                error: reason,
              },
            ),
          unpriced: (reason) => options.logger.warn(reason),
        });
  /** Owned pairs: the thread sends, compares and records them (see `threadRules`). */
  const owner =
    thread && threadRules
      ? handOver(thread, threadRules, (id, pair) => owned.set(id, { route: pair.route, copy: pair.copy }))
      : undefined;

  const complete = (id: number, pair: Pair) => {
    const { primaryRecord, shadow } = pair;
    if (!primaryRecord || !shadow) return;
    pending.delete(id);
    pair.at = now();
    batches.push(pair as FinishedPair);
  };

  const run = (id: number, pair: Pair) => {
    if (stopping) {
      // Sampled just before the stop: recorded as cut off without calling the upstream.
      running.release();
      pair.shadow = failed(unavailable("the gateway stopped"));
      over(pair.route, undefined, pair.shadow);
      complete(id, pair);
      return;
    }
    const controller = new AbortController();
    const timeoutMs = options.settings().timeout;
    // A timeout a timer holds: one `setTimeout`, no closure (one per copy); one past its range (30
    // days) waits in steps (core/after.ts), never 1 ms.
    const timer =
      timeoutMs > LONGEST_TIMER_MS ? undefined : setTimeout(timedOut, timeoutMs, controller, timeoutMs);
    const cancelLong =
      timer === undefined ? after(timeoutMs, () => timedOut(controller, timeoutMs)) : undefined;
    // One promise per call: its own callback forgets it (no `finally` chained on for that).
    const threaded = allThreaded || pair.request.stream;
    const through = threaded ? (owner?.(pair, timeoutMs) ?? thread) : undefined;
    const flight = ++flightIds;
    // Its span (and the `traceparent` it sends), from when it is sent, as a first try of its route's.
    const copy = pair.request.telemetry?.shadowCopy?.(attemptInfo(pair.route, 0, false), performance.now());
    if (copy) pair.copy = copy;
    const policy = options.unsupported?.() ?? "drop";
    const done = callShadow(pair.route, pair.request, controller.signal, through, copy, policy).then(
      (outcome) => {
        clearTimeout(timer);
        cancelLong?.();
        flights.delete(flight);
        if (outcome.notCarried) {
          notSent(id, copy, "skipped", outcome.notCarried);
          options.logger.debug("shadow copy not sent: its route cannot carry the request as asked", {
            request_id: pair.request.requestId,
            shadow_route: pair.route.label,
            reason: outcome.notCarried.message,
          });
          return;
        }
        if (outcome === SHED) {
          notSent(id, copy, "shed", unavailable("shed: no upstream of the shadow route had a slot to spare"));
          return;
        }
        if (pair.handed !== undefined) {
          // Now the thread's: it says when the copy is done (`ownedDone`).
          if (pair.primaryRecord) handPrimary(id, pair);
          return;
        }
        running.release();
        over(pair.route, copy, outcome);
        pair.shadow = outcome;
        complete(id, pair);
      },
    );
    flights.set(flight, { controller, done });
  };

  /**
   * A copy that was never sent (no upstream could spare a slot, or its route cannot carry the
   * request as asked): no copy that ended, no outcome counted against the candidate, and no pair;
   * counted as `why`, its span closed with `error`.
   */
  const notSent = (
    id: number,
    copy: CopyTelemetry | undefined,
    why: keyof typeof unsent,
    error: GatewayError,
  ) => {
    running.release();
    unsent[why]++;
    pending.delete(id);
    copy?.closed(error);
  };

  /** The primary's side of an owned pair, to the thread (its bytes, not their parse, cross). */
  const handPrimary = (id: number, pair: Pair) => {
    const record = pair.primaryRecord;
    if (!thread || pair.handed === undefined || !record) return;
    pending.delete(id);
    thread.primary(threadPrimary(pair.handed, record, pair.source));
  };

  /** The caller's app's or tenant's shadow, which applies in place of the model's. */
  const overrideOf = (request: DispatchRequest): ShadowTarget | undefined => {
    // Looked up only while some caller is kept (nearly never), by the request's serial, which the
    // gateway gives it (a client's `x-request-id` may be another request's too).
    const caller = callers.size === 0 ? undefined : callers.get(request.serial);
    return caller?.appShadow ?? caller?.tenantRules?.shadow;
  };

  const routeOf = (
    modelShadow: ModelPlan["shadow"],
    override: ShadowTarget | undefined,
    request: DispatchRequest,
  ) => copyRoute(modelShadow, override, request, options.routeFor);

  /**
   * A sampled request: its copy starts on the next turn and the client's answer is watched for
   * the comparison. Its closures are made here, for sampled requests only (in `hook` they would
   * make a scope object on every request).
   */
  const shadowed = (route: Route, request: DispatchRequest, primary: Dispatched): Dispatched => {
    running.begin();
    const pair: Pair = { route, request };
    const serial = request.serial;
    pending.set(serial, pair);
    // Started on the next turn: the client's answer is handed back first.
    queueMicrotask(() => run(serial, pair));
    // Not a spread: the router's answer is an object whose usage is a method (routing/route-attempt.ts).
    const reply = watchPrimary(pair, primary.reply);
    return {
      route: primary.route,
      upstreamModel: primary.upstreamModel,
      attempts: primary.attempts,
      dropped: primary.dropped,
      reply,
      usage: () => primary.usage(),
      answeredModel: () => primary.answeredModel(),
    };
  };

  return {
    hook(modelShadow, request, primary) {
      const override = overrideOf(request);
      // Locals, not a chosen {route, sample} object: this runs on every request, sampled or not.
      const route = routeOf(modelShadow, override, request);
      const sample = override ? override.sample : (modelShadow?.sample ?? 0);
      if (stopping || !route || !comparable(request) || random() >= sample) return primary;
      // A call its route has no way to serve (a legacy completions call to a Messages-only route)
      // is not copied: the copy would fail before any request, counted against a candidate that
      // never saw it. Asked of sampled calls alone.
      if (!couldServe(route, request)) return primary;
      if (running.count >= options.settings().max_concurrent) {
        unsent.shed++;
        return primary;
      }
      return shadowed(route, request, primary);
    },
    mayCopy(modelShadow, request) {
      // What `hook` asks before its draw: a copy is possible where it has a route and a chance.
      const override = overrideOf(request);
      const route = routeOf(modelShadow, override, request);
      const sample = override ? override.sample : (modelShadow?.sample ?? 0);
      return !stopping && route !== undefined && sample > 0 && comparable(request);
    },
    started(serial, principal) {
      // Only a caller whose app or tenant shadows in place of the model is looked up by `hook`:
      // every other request (nearly all) costs the table no entry to add and delete.
      if (principal?.appShadow || principal?.tenantRules?.shadow) callers.set(serial, principal);
    },
    finished(record, serial) {
      if (callers.size > 0) callers.delete(serial);
      const pair = pending.size === 0 ? undefined : pending.get(serial);
      if (!pair) return;
      pair.primaryRecord = record;
      if (pair.handed !== undefined) handPrimary(serial, pair);
      else complete(serial, pair);
    },
    inFlight: () => running.count,
    counts: () => ({ ...unsent, inFlight: running.count, ended: ended.list(), spent: spend.list() }),
    async close() {
      // A stop does not wait out slow shadows: they are cut off and recorded as such.
      stopping = true;
      for (const { controller } of flights.values()) controller.abort(unavailable("the gateway stopped"));
      if (owner) thread?.stop();
      // `running` also counts copies sampled but not started yet (they start on the next turn),
      // and owned copies until the thread says they are done.
      while (running.count > 0 || flights.size > 0 || batches.busy()) {
        batches.flush();
        const calls = flights.values().map((flight) => flight.done);
        await Promise.allSettled([...calls, ...batches.writes(), running.none()]);
      }
      // Owned pairs finished in the thread come back as records; then they are written.
      if (owner) await thread?.flush();
      await Promise.allSettled(batches.writes());
      thread?.close();
    },
  };
}
