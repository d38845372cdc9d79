import type { SinkDropCount } from "../../events/sink-drops.ts";

/** What the metrics read at scrape time from the parts that hold the state. */
export interface MetricSources {
  /** Requests in the pipeline now (the drain counts these). */
  inFlight(): number;
  /** Live event streams open now (`/admin/api/events`), which are no requests in flight. */
  eventStreams(): number;
  /** Circuit breaker per configured route (a `*` route's per-name breakers as one: breaker-series.ts). */
  breakers(): readonly { provider: string; upstreamModel: string; state: "closed" | "open" | "half_open" }[];
  /**
   * The connected workers' load, whether each drains (it finishes its calls and takes no new one),
   * and whether it is out of rotation.
   */
  workers(): readonly WorkerLoad[];
  /** The audit writer's counts (audit-writer-stats.ts `AuditWriterStats`). */
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
   * budget is enforced against; absent where none is kept (an embedder's own `Policy`). Undefined
   * when it could not be read (the policy failed, and said so): the gauge is left out of that scrape.
   */
  tenantSpend?(tenant: string, per: "day" | "month"): number | undefined;
  /**
   * On a cluster node: Redis's state (`up`; `down`, away; `foreign`, answering but another
   * cluster's database), and the live nodes last seen.
   */
  cluster?(): { redis: "up" | "down" | "foreign"; liveNodes: number };
  /** The config version in force (1 at start, +1 per applied reload), as `/readyz` shows it. */
  configVersion?(): number;
  /** Shadow copies (shadow/shadow-runner.ts), when the gateway mirrors any. */
  shadow?(): ShadowCounts;
  /**
   * Events a listener on the event bus failed to take since start: a throw of the gateway's own
   * (metrics, dashboard stats, cluster relay, a live stream's filter) or an event sink's publish
   * that threw or rejected (audit/listener-faults.ts).
   */
  eventListenerErrors(): number;
  /** Spans the trace export lost since start, when tracing is on (tracing/span-loss-log.ts). */
  traceSpansDropped?(): number;
  /**
   * Events the sinks `events:` in config names let go since start, by sink and reason (each reason
   * the sink can drop for at 0 until its first); absent when the config names none.
   */
  eventSinkDrops?(): readonly SinkDropCount[];
  /**
   * The label values the config in force bounds, whose series are made at 0 before their first
   * event (`ConfiguredLabels`): read at start and at each applied reload, never by a scrape;
   * absent, each series starts at its first event.
   */
  configured?(): ConfiguredLabels;
}

/**
 * What the config names of the labels traffic counts by: each configured model (its `model`
 * label, and its aliases', which label a request by the alias) with the providers its routes go
 * to, and the provider its shadow copies go to. A series of a value a reload's config no longer
 * names leaves the exposition (kept-labels.ts).
 */
export interface ConfiguredLabels {
  readonly models: readonly {
    readonly model: string;
    readonly aliases?: readonly string[] | undefined;
    readonly providers: readonly string[];
    readonly shadowProvider?: string | undefined;
  }[];
  /** The configured tenants' names. */
  readonly tenants: readonly string[];
  /**
   * The providers the tenants' and apps' shadows copy to: in place of a model's own shadow, they
   * copy their callers' calls to any model (or those their `models` globs name).
   */
  readonly shadowProviders?: readonly string[];
  /**
   * The configured providers' names, whose upstream attempts and retries are counted by provider;
   * absent, those series are kept through every reload.
   */
  readonly providers?: readonly string[];
}

/** One connected worker, as the worker gauges read it. */
export interface WorkerLoad {
  readonly inFlight: number;
  readonly capacity: number;
  readonly draining?: boolean | undefined;
  /** Out of rotation until then (epoch ms), its model server failing; absent while in rotation. */
  readonly ejectedUntil?: number | undefined;
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
  /**
   * Not sent because the shadow route could not carry the request as asked (under
   * `translation.unsupported: reject`, or a part it takes under no policy), since start.
   */
  readonly skipped: number;
  /** Sampled and not over yet. */
  readonly inFlight: number;
  /** Over since start, by provider and outcome. */
  readonly ended: readonly CopyCount[];
  /** What the copies recorded since start cost at the shadow routes' prices, by model. */
  readonly spent: readonly ModelSpend[];
}
