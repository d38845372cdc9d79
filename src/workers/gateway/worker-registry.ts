import type { GatewayEvent, WorkerSummary } from "../../audit/gateway-event.ts";
import { servesTenant } from "../../config/tenant-config.ts";
import { monotonicClock } from "../../core/steady-clock.ts";
import { CloseCode, servesResponsesApi } from "../protocol.ts";
import { silentLog } from "../worker-log.ts";
import { type Departure, logDeparture } from "./departure-log.ts";
import { HeartbeatSweeps } from "./heartbeat-sweeps.ts";
import { changeKeyModels } from "./key-models-change.ts";
import type { NoWorker } from "./no-worker.ts";
import type { RegisteredWorker } from "./registered-worker.ts";
import { summarizeWorker } from "./summarize-worker.ts";
import { REPLACED } from "./tunnel-failures.ts";
import { DEFAULT_EJECTION, WorkerEjection } from "./worker-ejection.ts";
import { WorkerPicker, whyNoneAmong } from "./worker-picker.ts";
import type { WorkerRegistryOptions } from "./worker-registry-options.ts";

export type AddResult = { ok: true } | { ok: false; reason: "name_in_use"; message: string };

/** Who is connected, what they serve, and which one takes the next request. */
export interface WorkerRegistry {
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  now(): number;
  /** Adds a worker; an older one under the same name and owner is replaced (closed). */
  add(worker: RegisteredWorker): AddResult;
  /**
   * Removes a worker if it is still the current one under its name; false for a stale one.
   * `planned`: the worker closed the connection itself, normally (a drain, or registering again),
   * logged at info as disconnected rather than as a worker lost.
   */
  remove(worker: RegisteredWorker, reason: string, planned?: boolean): boolean;
  /**
   * Removes a worker whose key was revoked or expired, or its token's tenant removed, `why` in the
   * words of what it sent (departure-log.ts `keyEndWords`; its connection ended for it:
   * worker-connection.ts `keyEnded`), logged as that at warn (`worker disconnected: its key was
   * revoked`), never as a worker lost; `worker.lost` says why (`its key was revoked`), `drained:
   * false`.
   */
  keyEnded(worker: RegisteredWorker, why: string): void;
  /**
   * The models a connected worker is routed from now on: its key's allow-list changed while it was
   * connected (the models it offered that the key now permits, never empty). Told as a
   * `worker.changed` event with the models now and to the watchers; the requests it has in flight
   * run on to their end.
   */
  serveOnly(worker: RegisteredWorker, models: readonly string[]): void;
  touch(worker: RegisteredWorker): void;
  /**
   * What the worker's upstream serves now, as it announced on its connection (an `announce`
   * frame's `apis`: the Responses API, once a model server that was loading said it serves it):
   * Responses calls pass through to it natively from its next call on, without a new registration
   * (nothing is drained, no model goes away). Told as a `worker.changed` event and to the watchers
   * (a cluster node tells the others at once). Only ever adds: a list that drops what the worker
   * serves is ignored (to serve less, a worker registers again), as is a connection a newer one
   * replaced; nothing when it changes nothing.
   */
  announce(worker: RegisteredWorker, apis: readonly string[]): void;
  /**
   * The worker announced a drain: it finishes what it has and is picked for nothing new (told once,
   * as `worker.draining`, to the live stream and the watchers).
   */
  drain(worker: RegisteredWorker): void;
  /**
   * A drain the gateway began is called off (the worker's key permits `models` of those it offered
   * again before the drain ended, key-narrowing.ts): the worker is picked again for them, told as
   * one `worker.changed` with those models to the live stream and to the watchers, and each is
   * newly served (`newlyServed`, `key_widened`): their breakers may have opened while no worker
   * could be picked for them. Never a drain the worker announced itself.
   */
  resume(worker: RegisteredWorker, models: readonly string[]): void;
  /**
   * Runs `listener` each time the workers change in what routing reads of them, their load aside:
   * one is added, removed or starts draining (a cluster node tells the other nodes at once).
   */
  watch(listener: () => void): void;
  /**
   * A request ended on the worker: its upstream answered, or failed (the worker said it could not
   * reach it, or the answer broke off; or the server answered with its own fault: its key refused,
   * a 5xx). Enough failures in a row take the worker out of rotation.
   */
  settled(worker: RegisteredWorker, answered: boolean): void;
  /** Until when a worker whose upstream keeps failing is passed over (epoch ms); undefined while in rotation. */
  ejectedUntil(worker: RegisteredWorker): number | undefined;
  /** The worker's models that the config routes elsewhere, so that none of its requests are for them. */
  shadowed(worker: RegisteredWorker): readonly string[];
  /**
   * Least busy (in-flight / capacity) non-draining worker with room that serves `model` to a
   * caller of `tenant` (its own tenant's workers and the default tenant's) — or `prefer` (a worker
   * name) when it is one of those: it holds the conversation a call continues. A worker out of
   * rotation (its upstream keeps failing) is picked only when no other serves the model: then
   * the caller gets its error at once rather than a refusal. `keepFree`: slots a worker must still
   * have free once this call takes one (a shadow copy's 1: it never takes a worker's last free
   * slot, which a client's request may need); none for a client's request. `avoid`: names of
   * workers this request already went to that were lost or refused it, never picked again for
   * its free re-pick (routing/worker-repicks.ts).
   */
  pick(
    model: string,
    tenant: string,
    prefer?: string,
    keepFree?: number,
    avoid?: ReadonlySet<string>,
  ): RegisteredWorker | undefined;
  /**
   * Whether a worker serves `model`: one a caller of `tenant` may be routed to, or any worker when
   * no tenant is given (what a metrics label may name, never a routing decision). A draining worker
   * counts: its models still exist, only busy (`pick` passes over it, and the caller gets a 503 to
   * come back to, never a 404 an SDK would not retry).
   */
  serves(model: string, tenant?: string): boolean;
  /**
   * Why `pick(model, tenant, …, avoid)` found no worker, asked only once it has (`pick` spends
   * nothing on it). Among workers that differ, the reason sooner over (`soonerOver`): a full one
   * frees a slot when any of its requests ends, a draining one never. Workers in `avoid` are none
   * of them: when only they serve it, it is `not_served` for this request.
   */
  whyNone(model: string, tenant: string, avoid?: ReadonlySet<string>): NoWorker;
  /** The connected worker of that name, if any. */
  get(name: string): RegisteredWorker | undefined;
  /** What workers serve, draining ones too: to a caller of `tenant`, or all of it when none is given. */
  models(tenant?: string): string[];
  /** The workers a caller of `tenant` may be routed to (every worker when none is given), by name. */
  list(tenant?: string): WorkerSummary[];
  /** Removes workers whose heartbeats stopped. Runs on a timer while any worker is connected. */
  sweep(): void;
  /**
   * Closes every connection (gateway shutdown), before the listener cuts them: each worker is told
   * (1001) and logged as disconnected, at info, not as a worker lost.
   */
  close(): void;
}

export function createWorkerRegistry(options: WorkerRegistryOptions = {}): WorkerRegistry {
  const now = options.now ?? Date.now;
  // Silence and ejection cooldowns are timed on a clock NTP never steps: on the wall clock a step
  // forward read as every worker silent at once (dropped as a heartbeat timeout, their calls lost),
  // and a step back kept an ejected worker out that much longer. An injected clock is both.
  const liveness = options.now ?? monotonicClock;
  const log = options.log ?? silentLog;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3 * heartbeatMs;
  const byName = new Map<string, RegisteredWorker>();
  const ejection = new WorkerEjection(options.ejection ?? DEFAULT_EJECTION, now, log, liveness);
  const picker = new WorkerPicker(byName, ejection);
  const sweeps = new HeartbeatSweeps(heartbeatMs, liveness, () => registry.sweep());
  /** Set by `close`: the gateway stops, and its workers are disconnected, not lost. */
  let stopping = false;

  const emit = (event: GatewayEvent) => options.onEvent?.(event);
  const watchers: (() => void)[] = [];
  const changed = () => {
    for (const listener of watchers) listener();
  };

  /** Removes a worker if it is still the current one under its name, said as it went (`remove`). */
  function leave(worker: RegisteredWorker, how: Departure): boolean {
    if (byName.get(worker.name) !== worker) return false;
    byName.delete(worker.name);
    sweeps.sync(byName.size);
    const drained = logDeparture(log, worker, how);
    emit({ type: "worker.lost", at: now(), worker: summarizeWorker(worker), reason: how.reason, drained });
    changed();
    return true;
  }

  const registry: WorkerRegistry = {
    heartbeatMs,
    heartbeatTimeoutMs,
    now,
    add(worker) {
      const previous = byName.get(worker.name);
      const replaced = previous !== undefined && previous !== worker;
      if (previous && replaced) {
        if (previous.owner !== worker.owner) {
          return {
            ok: false,
            reason: "name_in_use",
            message: `worker name ${worker.name} is held by another credential`,
          };
        }
        registry.remove(previous, "replaced by a newer connection");
        // Its calls fail saying so: the router may send them on to the new connection (worker-repicks.ts).
        previous.close(CloseCode.replaced, "replaced by a newer connection", REPLACED);
      }
      worker.lastHeartbeatAt = now();
      worker.heardAt = liveness();
      byName.set(worker.name, worker);
      sweeps.sync(byName.size);
      log("info", "worker connected", { worker: worker.name, id: worker.id, models: worker.models });
      const shadowed = registry.shadowed(worker);
      if (shadowed.length > 0)
        log("warn", "worker offers models the config routes elsewhere: none of their requests reach it", {
          worker: worker.name,
          models: shadowed,
        });
      emit({ type: "worker.connected", at: now(), worker: summarizeWorker(worker) });
      changed();
      const added = replaced ? worker.models.filter((m) => !previous.models.includes(m)) : worker.models;
      if (added.length > 0 && !worker.draining) options.newlyServed?.(worker, added, "registered");
      return { ok: true };
    },
    remove(worker, reason, planned = false) {
      return leave(worker, { reason, planned, stopping });
    },
    keyEnded(worker, why) {
      leave(worker, { reason: why, planned: false, stopping, keyEnded: why });
    },
    serveOnly(worker, models) {
      if (byName.get(worker.name) !== worker) return;
      const added = changeKeyModels(worker, models, log);
      if (added === undefined) return;
      emit({ type: "worker.changed", at: now(), worker: summarizeWorker(worker) });
      changed();
      if (added.length > 0 && !worker.draining) options.newlyServed?.(worker, added, "key_widened");
    },
    touch(worker) {
      worker.lastHeartbeatAt = now();
      worker.heardAt = liveness();
    },
    announce(worker, apis) {
      // Only ever an addition: a list without what the worker already serves changes nothing, so a
      // worker that flips it frame after frame costs no log line, event or rebuild each time.
      if (byName.get(worker.name) !== worker) return;
      if (worker.responsesApi === true || !servesResponsesApi(apis)) return;
      worker.responsesApi = true;
      log("info", "worker's upstream serves the Responses API", { worker: worker.name, apis });
      emit({ type: "worker.changed", at: now(), worker: summarizeWorker(worker) });
      changed();
    },
    drain(worker) {
      if (worker.draining) return;
      worker.draining = true;
      log("info", "worker draining", { worker: worker.name });
      if (byName.get(worker.name) !== worker) return;
      emit({ type: "worker.draining", at: now(), worker: summarizeWorker(worker) });
      changed();
    },
    resume(worker, models) {
      if (!worker.draining) return;
      worker.draining = false;
      worker.models = [...models];
      log("info", "worker serving again", { worker: worker.name, models });
      if (byName.get(worker.name) !== worker) return;
      emit({ type: "worker.changed", at: now(), worker: summarizeWorker(worker) });
      changed();
      options.newlyServed?.(worker, worker.models, "key_widened");
    },
    watch(listener) {
      watchers.push(listener);
    },
    settled(worker, answered) {
      ejection.settled(worker, answered);
    },
    ejectedUntil(worker) {
      return ejection.ejectedUntil(worker);
    },
    shadowed(worker) {
      return options.shadowedModels?.(worker) ?? [];
    },
    pick(model, tenant, prefer, keepFree = 0, avoid) {
      return picker.pick(model, tenant, prefer, keepFree, avoid);
    },
    whyNone(model, tenant, avoid) {
      return whyNoneAmong(byName.values(), model, tenant, avoid);
    },
    get(name) {
      return byName.get(name);
    },
    serves(model, tenant) {
      for (const worker of byName.values())
        if (worker.models.includes(model) && servesTenant(worker, tenant)) return true;
      return false;
    },
    models(tenant) {
      const all = new Set<string>();
      for (const worker of byName.values())
        if (servesTenant(worker, tenant)) for (const m of worker.models) all.add(m);
      return [...all].sort();
    },
    list(tenant) {
      const listed: WorkerSummary[] = [];
      for (const worker of byName.values())
        if (servesTenant(worker, tenant)) listed.push(summarizeWorker(worker));
      return listed.sort((a, b) => a.name.localeCompare(b.name));
    },
    sweep() {
      // Late: this process was paused, the workers' heartbeats may wait unread; the next sweep judges.
      if (!sweeps.onTime()) return;
      const cutoff = liveness() - heartbeatTimeoutMs;
      for (const worker of [...byName.values()]) {
        if ((worker.heardAt ?? Number.NEGATIVE_INFINITY) >= cutoff) continue;
        registry.remove(worker, "heartbeat timeout");
        worker.close(CloseCode.heartbeatTimeout, "heartbeat timeout");
      }
    },
    close() {
      stopping = true;
      for (const worker of [...byName.values()]) {
        registry.remove(worker, "gateway shutting down");
        worker.close(CloseCode.goingAway, "gateway shutting down");
      }
    },
  };
  return registry;
}
