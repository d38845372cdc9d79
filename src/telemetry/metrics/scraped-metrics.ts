import { Counter, Gauge, type Registry } from "prom-client";
import type { MetricSources } from "./metric-sources.ts";
import { registerShadowMetrics, type ShadowLabels } from "./shadow-metrics.ts";
import { registerWorkerGauges } from "./worker-gauges.ts";

// The sources' types, defined in metric-sources.ts, where the gateway's other parts import them from.
export type {
  ConfiguredLabels,
  CopyCount,
  MetricSources,
  ModelSpend,
  ShadowCounts,
  WorkerLoad,
} from "./metric-sources.ts";

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** A tenant's spend periods: its budget is counted over one of them. */
const PERIODS = ["day", "month"] as const;

/**
 * The families read from the gateway's parts when `/metrics` is scraped (never on the request
 * path): tenants' budgets, requests in flight, breakers, workers, cluster health, the audit
 * queue and its results, event listeners' failures, event sinks' drops, the config version,
 * shadow copies and their spend, and process memory.
 */
export function registerScrapedMetrics(
  registers: Registry[],
  sources: MetricSources,
  /** The config in force's shadow labels (shadow-metrics.ts). */
  shadowLabels: () => ShadowLabels | undefined,
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
          for (const per of PERIODS) {
            const spent = tenantSpend(name, per);
            // A read that failed leaves the whole family out: a tenant missing would read as none spent.
            if (spent === undefined) return this.reset();
            this.set({ tenant: name, per }, spent);
          }
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
    name: "mindgw_event_streams_open",
    help: "Live event streams open now (/admin/api/events), bounded by server.max_event_streams",
    registers,
    collect() {
      this.set(sources.eventStreams());
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
  registerWorkerGauges(registers, sources.workers);
  const cluster = sources.cluster;
  if (cluster) {
    new Gauge({
      name: "mindgw_cluster_redis_up",
      help: "1 while Redis answers (its database this cluster's or not); 0 while it is away",
      registers,
      collect() {
        this.set(cluster().redis === "down" ? 0 : 1);
      },
    });
    new Gauge({
      name: "mindgw_cluster_redis_foreign",
      help: "1 while Redis answers but its database is another cluster's: used for nothing, limits on local counters",
      registers,
      collect() {
        this.set(cluster().redis === "foreign" ? 1 : 0);
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
    help: "Audit records held to be written: those waiting and the batch being written",
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
    name: "mindgw_event_listener_errors_total",
    help: "Events an event listener failed to take (it threw, or an event sink's publish rejected): lost to that listener alone",
    registers,
    collect() {
      this.reset();
      this.inc(sources.eventListenerErrors());
    },
  });
  const traceSpansDropped = sources.traceSpansDropped;
  if (traceSpansDropped)
    new Counter({
      name: "mindgw_trace_spans_dropped_total",
      help: "Spans the trace export let go unsent: the collector refused them or did not answer, or the export queue was full",
      registers,
      collect() {
        this.reset();
        this.inc(traceSpansDropped());
      },
    });
  const eventSinkDrops = sources.eventSinkDrops;
  if (eventSinkDrops)
    new Counter({
      name: "mindgw_event_sink_dropped_total",
      help: "Events a sink in config (events.webhooks, events.redis_stream) let go unsent, by sink and reason: queue_full, rejected (4xx), redirected (3xx), retries_exhausted, closed (left at stop)",
      labelNames: ["sink", "reason"],
      registers,
      collect() {
        this.reset();
        for (const { sink, reason, count } of eventSinkDrops()) this.inc({ sink, reason }, count);
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
  if (sources.shadow) registerShadowMetrics(registers, sources.shadow, shadowLabels);
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
