import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { branch, newMap } from "./branch.ts";
import { type CounterCell, FoldedCounter, FoldedHistogram, type HistogramCell } from "./folded-metrics.ts";
import { providerOf, refusalKind, statusClass } from "./labels.ts";
import { type MetricSources, registerScrapedMetrics } from "./scraped-metrics.ts";

export type { MetricSources } from "./scraped-metrics.ts";

/** Seconds; from a fast cached answer to a long generation. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds to the first token. */
const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Tokens per request, as the GenAI semantic conventions advise. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** The cells one finished request adds to; see requestCellsOf. */
interface RequestCells {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
  readonly ttft: HistogramCell;
  readonly inputTokens: HistogramCell;
  readonly outputTokens: HistogramCell;
  readonly cost: CounterCell;
}

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
  /** Streams being relayed: a plain count, read into its gauge at scrape time. */
  private openStreams = 0;
  private readonly attempts: FoldedCounter<"provider" | "outcome">;
  private readonly attemptDuration: FoldedHistogram<"provider" | "outcome">;
  /** A request's cells by front door → model → provider → status class, resolved once. */
  private readonly requestCells = new Map<string, Map<string, Map<string, Map<string, RequestCells>>>>();
  /** An attempt's cells by provider → outcome. */
  private readonly attemptCells = new Map<
    string,
    Map<string, { count: CounterCell; duration: HistogramCell }>
  >();
  private readonly cells = new Map<string, CounterCell<string> | HistogramCell<string>>();
  /** Spend cells by tenant label: a priced request finds its cell without a key string made for it. */
  private readonly tenantCostCells = new Map<string, CounterCell<"tenant">>();
  /** The config's tenants as tenantLabel last read them, and their names as a set. */
  private knownTenants: ReturnType<MetricSources["tenants"]> | undefined;
  private tenantNames = new Set<string>();
  /** The provider label of each configured route (`provider:<name>`), made once, not sliced per request. */
  private readonly providers = new Map<string, string>();
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
    const streams = () => this.openStreams;
    new Gauge({
      name: "mindgw_streams_in_flight",
      help: "Streamed answers being relayed now",
      registers,
      collect() {
        this.set(streams());
      },
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
    this.refusals = new Counter({
      name: "mindgw_rate_limit_refusals_total",
      help: "429 answers by kind: requests (rpm), tokens (tpm), budget, upstream",
      labelNames: ["kind"],
      registers,
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
    registerScrapedMetrics(registers, sources);
  }

  private tenantLabel(tenant: string | null): string {
    if (tenant === null) return "none";
    if (tenant === "default") return tenant;
    // The config's list is one array until a reload replaces it: its names are set up once per list.
    const tenants = this.sources.tenants();
    if (tenants !== this.knownTenants) {
      this.knownTenants = tenants;
      this.tenantNames = new Set(tenants.map((t) => t.name));
    }
    return this.tenantNames.has(tenant) ? tenant : "other";
  }

  /** `branch`'s `make` for a tenant label's spend cell: one function, not a closure a request. */
  private readonly newTenantCost = (tenant: string) => this.tenantCost.cell({ tenant });

  streamStarted(): void {
    this.openStreams++;
  }

  streamEnded(): void {
    this.openStreams--;
  }

  requestFinished(record: AuditRecord, error: GatewayError | undefined): void {
    const cells = this.requestCellsOf(
      record.frontDoor,
      this.modelLabel(record.model),
      this.providerLabel(record.route),
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
      branch(this.tenantCostCells, this.tenantLabel(record.tenant), this.newTenantCost).inc(record.costUsd);
    }
    const kind = refusalKind(record, error);
    if (kind) this.refusals.inc({ kind });
  }

  /** One upstream attempt, once its verdict is in (committed, or failed). */
  attempted(route: string, seconds: number, error: GatewayError | undefined): void {
    const provider = this.providerLabel(route);
    const outcome = error ? error.code : "ok";
    const byOutcome = branch(this.attemptCells, provider, newMap);
    let cells = byOutcome.get(outcome);
    if (!cells) {
      const labels = { provider, outcome };
      cells = { count: this.attempts.cell(labels), duration: this.attemptDuration.cell(labels) };
      byOutcome.set(outcome, cells);
    }
    cells.count.inc();
    cells.duration.observe(seconds);
  }

  /**
   * `providerOf(route)`, kept per route for configured providers only: their number is bounded by
   * config, while worker routes (`worker:<name>`, named by the workers) are not. Its own lookup,
   * not `branch`: every other `branch` finds an object (a Map, a cell), and one that found a string
   * beside them, both inlined into `attempted`, had its optimised code exit 101 times (BadType) and
   * be compiled again.
   */
  private providerLabel(route: string | null): string {
    if (route === null || !route.startsWith("provider:")) return providerOf(route);
    let label = this.providers.get(route);
    if (label === undefined) {
      label = providerOf(route);
      this.providers.set(route, label);
    }
    return label;
  }

  private requestCellsOf(frontDoor: string, model: string, provider: string, status: string): RequestCells {
    const byModel = branch(this.requestCells, frontDoor, newMap);
    const byStatus = branch(branch(byModel, model, newMap), provider, newMap);
    let cells = byStatus.get(status);
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
    byStatus.set(status, cells);
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

  /** An upstream attempt starting: a retry on its route, or a failover of the request's model. */
  attemptStarted(info: AttemptInfo, model: string | null): void {
    if (info.retry > 0) this.retries.inc({ provider: providerOf(info.route) });
    if (info.failover) this.failovers.inc({ model: this.modelLabel(model ?? "") });
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
