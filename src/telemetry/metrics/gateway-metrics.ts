import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { type CounterCell, FoldedCounter, FoldedHistogram, type HistogramCell } from "./folded-metrics.ts";
import { providerOf, refusalKind, statusClass } from "./labels.ts";

/** Seconds; from a fast cached answer to a long generation. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds to the first token. */
const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Tokens per request, as the GenAI semantic conventions advise. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** What the metrics read at scrape time from the parts that hold the state. */
export interface MetricSources {
  /** Requests in the pipeline now (the drain counts these). */
  inFlight(): number;
  /** Circuit breaker per route key (`provider/model`). */
  breakers(): readonly { provider: string; upstreamModel: string; state: "closed" | "open" | "half_open" }[];
  workers(): readonly { inFlight: number; capacity: number }[];
  audit(): { queued: number; written: number; rejected: number; dropped: number };
  /** The configured tenants and their budgets (bounded by config). */
  tenants(): readonly { name: string; budget?: { usd: number; per: "day" | "month" } | undefined }[];
  /** On a cluster node: whether Redis answers, and the live nodes last seen. */
  cluster?(): { redisUp: boolean; liveNodes: number };
  /** The config version in force (1 at start, +1 per applied reload), as `/readyz` shows it. */
  configVersion?(): number;
  /** Shadow copies not sent because the shadow's concurrency cap was reached, since start. */
  shadowShed?(): number;
}

/** The cells one finished request adds to; see requestCellsOf. */
interface RequestCells {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
  readonly ttft: HistogramCell;
  readonly inputTokens: HistogramCell;
  readonly outputTokens: HistogramCell;
  readonly cost: CounterCell;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * The gateway's Prometheus metric families. Names follow the OpenTelemetry GenAI semantic
 * conventions in Prometheus form where one exists (`gen_ai.server.request.duration` →
 * `gen_ai_server_request_duration_seconds`); the rest are `mindgw_*`. docs/OBSERVABILITY.md
 * describes each one.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: FoldedCounter<"front_door" | "model" | "provider" | "status_class">;
  private readonly duration: FoldedHistogram<"front_door" | "model" | "status_class">;
  private readonly ttft: FoldedHistogram<"front_door" | "model">;
  private readonly tokens: FoldedHistogram<"front_door" | "model" | "gen_ai_token_type">;
  private readonly cost: FoldedCounter<"model">;
  private readonly tenantCost: FoldedCounter<"tenant">;
  private readonly streams: Gauge;
  private readonly attempts: FoldedCounter<"provider" | "outcome">;
  private readonly attemptDuration: FoldedHistogram<"provider" | "outcome">;
  /** A request's cells per (front door, model, provider, status class), resolved once. */
  private readonly requestCells = new Map<string, RequestCells>();
  private readonly attemptCells = new Map<string, { count: CounterCell; duration: HistogramCell }>();
  private readonly cells = new Map<string, CounterCell<string> | HistogramCell<string>>();
  private readonly retries: Counter<"provider">;
  private readonly failovers: Counter<"model">;
  private readonly refusals: Counter<"kind">;
  private readonly flushes: Histogram;
  private readonly reloads: Counter<"result">;

  constructor(
    private readonly sources: MetricSources,
    /** The label for a requested model: itself when the config routes it, else `other`. */
    private readonly modelLabel: (model: string | null) => string,
  ) {
    const registers = [this.registry];
    this.requests = new FoldedCounter({
      name: "mindgw_requests_total",
      help: "Requests that reached the request pipeline, by front door, model, provider and status class",
      labelNames: ["front_door", "model", "provider", "status_class"],
      registers,
    });
    this.duration = new FoldedHistogram({
      name: "gen_ai_server_request_duration_seconds",
      help: "Time from a request's arrival to its last byte",
      labelNames: ["front_door", "model", "status_class"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.ttft = new FoldedHistogram({
      name: "gen_ai_server_time_to_first_token_seconds",
      help: "Time from a request's arrival to the first byte of its answer (successful answers)",
      labelNames: ["front_door", "model"],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.tokens = new FoldedHistogram({
      name: "gen_ai_client_token_usage",
      help: "Tokens per request, by type (input, output); the _sum is the total",
      labelNames: ["front_door", "model", "gen_ai_token_type"],
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.cost = new FoldedCounter({
      name: "mindgw_cost_usd_total",
      help: "Spend in USD at the configured prices",
      labelNames: ["model"],
      registers,
    });
    this.tenantCost = new FoldedCounter({
      name: "mindgw_tenant_cost_usd_total",
      help: "Spend in USD by tenant (tenants from config; any other is `other`)",
      labelNames: ["tenant"],
      registers,
    });
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
    new Gauge({
      name: "mindgw_requests_in_flight",
      help: "Requests being served now",
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    this.streams = new Gauge({
      name: "mindgw_streams_in_flight",
      help: "Streamed answers being relayed now",
      registers,
    });
    this.attempts = new FoldedCounter({
      name: "mindgw_upstream_attempts_total",
      help: "Upstream attempts by provider and outcome (ok, or the error code)",
      labelNames: ["provider", "outcome"],
      registers,
    });
    this.attemptDuration = new FoldedHistogram({
      name: "gen_ai_client_operation_duration_seconds",
      help: "Upstream attempts: time until the answer was committed (first event) or failed",
      labelNames: ["provider", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: "mindgw_upstream_retries_total",
      help: "Attempts that repeated a failed one on the same route",
      labelNames: ["provider"],
      registers,
    });
    this.failovers = new Counter({
      name: "mindgw_upstream_failovers_total",
      help: "Attempts on a further route after an earlier route of the model failed",
      labelNames: ["model"],
      registers,
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
    this.refusals = new Counter({
      name: "mindgw_rate_limit_refusals_total",
      help: "429 answers by kind: requests (rpm), tokens (tpm), budget, upstream",
      labelNames: ["kind"],
      registers,
    });
    const workerGauge = (
      name: string,
      help: string,
      read: (w: { inFlight: number; capacity: number }[]) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read([...sources.workers()]));
        },
      });
    workerGauge("mindgw_workers_connected", "Workers connected to this gateway", (ws) => ws.length);
    workerGauge("mindgw_worker_requests_in_flight", "Requests being served by connected workers", (ws) =>
      ws.reduce((sum, w) => sum + w.inFlight, 0),
    );
    workerGauge("mindgw_worker_capacity", "Concurrent requests connected workers accept in total", (ws) =>
      ws.reduce((sum, w) => sum + w.capacity, 0),
    );
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
    new Counter({
      name: "mindgw_audit_records_total",
      help: "Audit records by result: written, rejected (refused by the database), dropped (queue full or closed)",
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
    this.flushes = new Histogram({
      name: "mindgw_audit_flush_duration_seconds",
      help: "Time to write one batch of audit records",
      buckets: FLUSH_BUCKETS,
      registers,
    });
    this.reloads = new Counter({
      name: "mindgw_config_reloads_total",
      help: "Config file changes by result: applied, rejected",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["applied", "rejected"]) this.reloads.inc({ result }, 0);
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
    const shadowShed = sources.shadowShed;
    if (shadowShed)
      new Counter({
        name: "mindgw_shadow_shed_total",
        help: "Shadow copies not sent because the shadow's concurrency cap was reached",
        registers,
        collect() {
          this.reset();
          this.inc(shadowShed());
        },
      });
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

  private tenantLabel(tenant: string | null): string {
    if (tenant === null) return "none";
    return tenant === "default" || this.sources.tenants().some((t) => t.name === tenant) ? tenant : "other";
  }

  streamStarted(): void {
    this.streams.inc();
  }

  streamEnded(): void {
    this.streams.dec();
  }

  requestFinished(record: AuditRecord, error: GatewayError | undefined): void {
    const cells = this.requestCellsOf(
      record.frontDoor,
      this.modelLabel(record.model),
      providerOf(record.route),
      statusClass(record.status),
    );
    cells.requests.inc();
    cells.duration.observe(record.latencyMs / 1000);
    if (record.ttfbMs !== null && record.status < 400) cells.ttft.observe(record.ttfbMs / 1000);
    if (record.inputTokens > 0 || record.outputTokens > 0) {
      cells.inputTokens.observe(record.inputTokens);
      cells.outputTokens.observe(record.outputTokens);
    }
    if (record.costUsd > 0) {
      cells.cost.inc(record.costUsd);
      const tenant = this.tenantLabel(record.tenant);
      this.cell(this.tenantCost, `tenant\0${tenant}`, { tenant }).inc(record.costUsd);
    }
    const kind = refusalKind(record, error);
    if (kind) this.refusals.inc({ kind });
  }

  /** One upstream attempt, once its verdict is in (committed, or failed). */
  attempted(route: string, seconds: number, error: GatewayError | undefined): void {
    const provider = providerOf(route);
    const outcome = error ? error.code : "ok";
    const key = `${provider}\0${outcome}`;
    let cells = this.attemptCells.get(key);
    if (!cells) {
      const labels = { provider, outcome };
      cells = { count: this.attempts.cell(labels), duration: this.attemptDuration.cell(labels) };
      this.attemptCells.set(key, cells);
    }
    cells.count.inc();
    cells.duration.observe(seconds);
  }

  private requestCellsOf(frontDoor: string, model: string, provider: string, status: string): RequestCells {
    const key = `${frontDoor}\0${model}\0${provider}\0${status}`;
    let cells = this.requestCells.get(key);
    if (cells) return cells;
    // Families with fewer labels share one cell between these combinations.
    const fm = `${frontDoor}\0${model}`;
    cells = {
      requests: this.requests.cell({ front_door: frontDoor, model, provider, status_class: status }),
      duration: this.cell(this.duration, `duration\0${fm}\0${status}`, {
        front_door: frontDoor,
        model,
        status_class: status,
      }),
      ttft: this.cell(this.ttft, `ttft\0${fm}`, { front_door: frontDoor, model }),
      inputTokens: this.cell(this.tokens, `tokens\0${fm}\0input`, {
        front_door: frontDoor,
        model,
        gen_ai_token_type: "input",
      }),
      outputTokens: this.cell(this.tokens, `tokens\0${fm}\0output`, {
        front_door: frontDoor,
        model,
        gen_ai_token_type: "output",
      }),
      cost: this.cell(this.cost, `cost\0${model}`, { model }),
    };
    this.requestCells.set(key, cells);
    return cells;
  }

  /** The one cell of `family` for these labels (`key` names both). */
  private cell<L extends string, C extends CounterCell<L> | HistogramCell<L>>(
    family: { cell(labels: Readonly<Record<L, string>>): C },
    key: string,
    labels: Readonly<Record<L, string>>,
  ): C {
    let found = this.cells.get(key) as C | undefined;
    if (!found) {
      found = family.cell(labels);
      this.cells.set(key, found);
    }
    return found;
  }

  retried(route: string): void {
    this.retries.inc({ provider: providerOf(route) });
  }

  failedOver(model: string): void {
    this.failovers.inc({ model: this.modelLabel(model) });
  }

  auditFlushed(seconds: number): void {
    this.flushes.observe(seconds);
  }

  configReloaded(applied: boolean): void {
    this.reloads.inc({ result: applied ? "applied" : "rejected" });
  }

  /** The text exposition format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
