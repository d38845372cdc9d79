import { Counter, Gauge, type Registry } from "prom-client";

/** What the metrics read at scrape time from the parts that hold the state. */
export interface MetricSources {
  /** Requests in the pipeline now (the drain counts these). */
  inFlight(): number;
  /** Circuit breaker per configured route (a `*` route's per-name breakers as one: breaker-series.ts). */
  breakers(): readonly { provider: string; upstreamModel: string; state: "closed" | "open" | "half_open" }[];
  /**
   * The connected workers' load, whether each drains (it finishes its calls and takes no new one),
   * and whether it is out of rotation.
   */
  workers(): readonly WorkerLoad[];
  /** The audit writer's counts (audit-writer.ts `AuditWriterStats`). */
  audit(): {
    queued: number;
    queuedBytes: number;
    written: number;
    rejected: number;
    dropped: number;
    bodiesDropped: number;
  };
  /** The configured tenants and their budgets (bounded by config). */
  tenants(): readonly { name: string; budget?: { usd: number; per: "day" | "month" } | undefined }[];
  /**
   * What a configured tenant has spent in its current UTC day or month, from the spend ledger its
   * budget is enforced against; absent where none is kept (an embedder's own `Policy`).
   */
  tenantSpend?(tenant: string, per: "day" | "month"): number;
  /** On a cluster node: whether Redis answers, and the live nodes last seen. */
  cluster?(): { redisUp: boolean; liveNodes: number };
  /** The config version in force (1 at start, +1 per applied reload), as `/readyz` shows it. */
  configVersion?(): number;
  /** Shadow copies (shadow/shadow-runner.ts), when the gateway mirrors any. */
  shadow?(): ShadowCounts;
  /**
   * The label values the config in force bounds, whose series are made at 0 before their first
   * event (`ConfiguredLabels`): read at start and at each applied reload, never by a scrape;
   * absent, each series starts at its first event.
   */
  configured?(): ConfiguredLabels;
}

/**
 * What the config names of the labels traffic counts by: each configured model (its `model`
 * label) with the providers its routes go to, and the provider its shadow copies go to.
 */
export interface ConfiguredLabels {
  readonly models: readonly {
    readonly model: string;
    readonly providers: readonly string[];
    readonly shadowProvider?: string | undefined;
  }[];
  /** The configured tenants' names. */
  readonly tenants: readonly string[];
}

/**
 * The ways a shadow copy ends that have a series per shadow provider from the start: `ok`, and the
 * failures any upstream may cause (an error answer or a cut stream, `shadow.timeout`, a stop).
 * Rarer codes start at their first copy.
 */
export const SHADOW_OUTCOMES = ["ok", "upstream_error", "upstream_timeout", "unavailable"] as const;

/**
 * The shadow label values whose series are printed at 0 before their first copy: each `shadow:`
 * route's provider (by each of `SHADOW_OUTCOMES`) and its model (its shadow spend), of the config
 * at start and of each reload since.
 */
export interface ShadowZeros {
  readonly providers: ReadonlySet<string>;
  readonly models: ReadonlySet<string>;
}

/** One connected worker, as the worker gauges read it. */
export interface WorkerLoad {
  readonly inFlight: number;
  readonly capacity: number;
  readonly draining?: boolean | undefined;
  /** Out of rotation until then (epoch ms), its model server failing; absent while in rotation. */
  readonly ejectedUntil?: number | undefined;
}

/**
 * Whether a worker's room is room for new calls: neither draining (it takes none) nor out of
 * rotation (passed over while another worker serves its models, and its answers fail: the room
 * left would promise calls it cannot serve).
 */
const takesNewCalls = (w: WorkerLoad): boolean => w.draining !== true && w.ejectedUntil === undefined;

/** A worker gauge's labels: whether the workers drain, and whether they are out of rotation. */
interface WorkerState {
  readonly draining: "false" | "true";
  readonly out_of_rotation: "false" | "true";
}

/** The four states, each one label object for every scrape: a worker costs a scrape none. */
const TAKING_CALLS: WorkerState = { draining: "false", out_of_rotation: "false" };
const OUT_OF_ROTATION: WorkerState = { draining: "false", out_of_rotation: "true" };
const DRAINING: WorkerState = { draining: "true", out_of_rotation: "false" };
const DRAINING_OUT_OF_ROTATION: WorkerState = { draining: "true", out_of_rotation: "true" };
const WORKER_STATES = [TAKING_CALLS, OUT_OF_ROTATION, DRAINING, DRAINING_OUT_OF_ROTATION] as const;

function stateOf(w: WorkerLoad): WorkerState {
  const out = w.ejectedUntil !== undefined;
  if (w.draining === true) return out ? DRAINING_OUT_OF_ROTATION : DRAINING;
  return out ? OUT_OF_ROTATION : TAKING_CALLS;
}

/** How many shadow copies to one provider ended one way. */
export interface CopyCount {
  /** The shadow route's provider, by its config name (`workers` for the workers route). */
  readonly provider: string;
  /** `ok`, or the failure's code (`upstream_error`, `upstream_timeout`, `unavailable`, …). */
  readonly outcome: string;
  readonly count: number;
}

/** What shadow copies of one model cost, as their pairs were recorded. */
export interface ModelSpend {
  /** The config's name for the model (a glob it matched, `other` when nothing routes it). */
  readonly model: string;
  readonly usd: number;
}

/** What the shadow runner counts of its copies. */
export interface ShadowCounts {
  /** Not sent because the shadow's concurrency cap was reached, since start. */
  readonly shed: number;
  /** Sampled and not over yet. */
  readonly inFlight: number;
  /** Over since start, by provider and outcome. */
  readonly ended: readonly CopyCount[];
  /** What the copies recorded since start cost at the shadow routes' prices, by model. */
  readonly spent: readonly ModelSpend[];
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** A tenant's spend periods: its budget is counted over one of them. */
const PERIODS = ["day", "month"] as const;

/**
 * The families read from the gateway's parts when `/metrics` is scraped (never on the request
 * path): tenants' budgets, requests in flight, breakers, workers, cluster health, the audit
 * queue and its results, the config version, shadow copies and their spend, and process memory.
 */
export function registerScrapedMetrics(
  registers: Registry[],
  sources: MetricSources,
  shadowZeros: ShadowZeros,
): void {
  new Gauge({
    name: "mindgw_tenant_budget_usd",
    help: "Each configured tenant's spend budget per period (day or month)",
    labelNames: ["tenant", "per"],
    registers,
    collect() {
      this.reset();
      for (const t of sources.tenants())
        if (t.budget) this.set({ tenant: t.name, per: t.budget.per }, t.budget.usd);
    },
  });
  const { tenantSpend } = sources;
  if (tenantSpend)
    new Gauge({
      name: "mindgw_tenant_spend_usd",
      help: "Each configured tenant's spend in its current UTC day and month, from the spend ledger its budget is enforced against (every node's, as of the last flush)",
      labelNames: ["tenant", "per"],
      registers,
      collect() {
        this.reset();
        for (const { name } of sources.tenants())
          for (const per of PERIODS) this.set({ tenant: name, per }, tenantSpend(name, per));
      },
    });
  new Gauge({
    name: "mindgw_requests_in_flight",
    help: "Requests being served now",
    registers,
    collect() {
      this.set(sources.inFlight());
    },
  });
  new Gauge({
    name: "mindgw_route_breaker_state",
    help: "Circuit breaker per route: 0 closed, 1 half-open (probing), 2 open",
    labelNames: ["provider", "upstream_model"],
    registers,
    collect() {
      this.reset();
      for (const b of sources.breakers())
        this.set({ provider: b.provider, upstream_model: b.upstreamModel }, BREAKER_VALUE[b.state]);
    },
  });
  // Workers and their calls by state: draining or not (`draining`), out of rotation or not
  // (`out_of_rotation`), every pair always a series (so a drain or an ejection mints none). Their
  // sums are the connected workers and their calls; those neither draining nor out of rotation take
  // new calls, and their calls are what takes from the room `mindgw_worker_capacity` holds.
  const byState = (name: string, help: string, count: (w: WorkerLoad) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["draining", "out_of_rotation"],
      registers,
      collect() {
        for (const state of WORKER_STATES) this.set(state, 0);
        for (const w of sources.workers()) this.inc(stateOf(w), count(w));
      },
    });
  byState(
    "mindgw_workers_connected",
    "Workers connected to this gateway: draining or not, out of rotation or not",
    () => 1,
  );
  byState(
    "mindgw_worker_requests_in_flight",
    "Requests being served by connected workers: draining or not, out of rotation or not",
    (w) => w.inFlight,
  );
  // What can take new calls: a draining worker's concurrency is none of it, whatever its room, and
  // nor is a worker's out of rotation.
  new Gauge({
    name: "mindgw_worker_capacity",
    help: "Concurrent requests the connected workers taking new calls accept in total (a draining worker or one out of rotation none)",
    registers,
    collect() {
      let capacity = 0;
      for (const w of sources.workers()) if (takesNewCalls(w)) capacity += w.capacity;
      this.set(capacity);
    },
  });
  const cluster = sources.cluster;
  if (cluster) {
    new Gauge({
      name: "mindgw_cluster_redis_up",
      help: "1 while Redis answers; 0 while limits run on local counters divided by the live nodes",
      registers,
      collect() {
        this.set(cluster().redisUp ? 1 : 0);
      },
    });
    new Gauge({
      name: "mindgw_cluster_nodes",
      help: "Live gateway nodes in the directory, as this node last saw it",
      registers,
      collect() {
        this.set(cluster().liveNodes);
      },
    });
  }
  new Gauge({
    name: "mindgw_audit_queue_depth",
    help: "Audit records waiting to be written",
    registers,
    collect() {
      this.set(sources.audit().queued);
    },
  });
  new Gauge({
    name: "mindgw_audit_queue_bytes",
    help: "What the audit records waiting to be written take, in bytes (audit.max_queue_bytes bounds it)",
    registers,
    collect() {
      this.set(sources.audit().queuedBytes);
    },
  });
  new Counter({
    name: "mindgw_audit_bodies_dropped_total",
    help: "Audit records written with their bodies replaced by a marker: the queue held audit.max_queue_bytes",
    registers,
    collect() {
      this.reset();
      this.inc(sources.audit().bodiesDropped);
    },
  });
  new Counter({
    name: "mindgw_audit_records_total",
    help: "Audit records by result: written, rejected (refused by the database), dropped (queue full, in rows or bytes, or closed)",
    labelNames: ["result"],
    registers,
    collect() {
      const stats = sources.audit();
      this.reset();
      this.inc({ result: "written" }, stats.written);
      this.inc({ result: "rejected" }, stats.rejected);
      this.inc({ result: "dropped" }, stats.dropped);
    },
  });
  const configVersion = sources.configVersion;
  if (configVersion)
    new Gauge({
      name: "mindgw_config_version",
      help: "The config version in force: 1 at start, one more per applied reload (as in /readyz)",
      registers,
      collect() {
        this.set(configVersion());
      },
    });
  const shadow = sources.shadow;
  if (shadow) {
    new Counter({
      name: "mindgw_shadow_shed_total",
      help: "Shadow copies not sent because the shadow's concurrency cap was reached",
      registers,
      collect() {
        this.reset();
        this.inc(shadow().shed);
      },
    });
    new Counter({
      name: "mindgw_shadow_copies_total",
      help: "Shadow copies that ended, by the shadow route's provider and outcome (ok or the failure's code)",
      labelNames: ["provider", "outcome"],
      registers,
      collect() {
        this.reset();
        // At 0 from the start for each configured shadow provider: the first failing copy is an
        // increase (MindgwShadowCopiesFailing), not a series' first sample.
        for (const provider of shadowZeros.providers)
          for (const outcome of SHADOW_OUTCOMES) this.inc({ provider, outcome }, 0);
        for (const { provider, outcome, count } of shadow().ended) this.inc({ provider, outcome }, count);
      },
    });
    new Counter({
      name: "mindgw_shadow_cost_usd_total",
      help: "Spend in USD on shadow copies at the shadow routes' prices, by model (in no other cost family)",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        for (const model of shadowZeros.models) this.inc({ model }, 0);
        for (const { model, usd } of shadow().spent) this.inc({ model }, usd);
      },
    });
    new Gauge({
      name: "mindgw_shadow_copies_in_flight",
      help: "Shadow copies sampled and not over yet",
      registers,
      collect() {
        this.set(shadow().inFlight);
      },
    });
  }
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "JavaScript heap in use, in bytes",
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
}
