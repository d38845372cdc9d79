import type { Counter, Histogram } from "prom-client";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { attemptOutcome } from "./attempt-outcome.ts";
import { branch } from "./branch.ts";
import { FamilyFailures } from "./family-failures.ts";
import type { CounterCell, FoldedCounter } from "./folded-metrics.ts";
import { createGatewayFamilies, RELOAD_RESULTS, type ReloadResult } from "./gateway-families.ts";
import { KeptLabels } from "./kept-labels.ts";
import { MODEL_CALL_FRONT_DOORS, providerOf, REFUSAL_KINDS, refusalKind, statusClass } from "./labels.ts";
import type { ConfiguredLabels, MetricSources } from "./metric-sources.ts";
import { OwnTextRegistry } from "./own-text-registry.ts";
import { registerScrapedMetrics } from "./scraped-metrics.ts";
import { type AttemptCells, AttemptCellTable, RequestCellTable } from "./series-cells.ts";

export type { ReloadResult } from "./gateway-families.ts";
export type { MetricSources } from "./metric-sources.ts";

/**
 * The gateway's Prometheus metric families. Names follow the OpenTelemetry GenAI semantic
 * conventions in Prometheus form where one exists (`gen_ai.server.request.duration` →
 * `gen_ai_server_request_duration_seconds`); the rest are `mindgw_*`. docs/OBSERVABILITY.md
 * describes each one.
 */
export class GatewayMetrics {
  readonly registry = new OwnTextRegistry();
  /** A finished request's cells, by its labels. */
  private readonly requestCells: RequestCellTable;
  private readonly tenantCost: FoldedCounter<"tenant">;
  /** Streams being relayed: a plain count, read into its gauge at scrape time. */
  private openStreams = 0;
  /** An upstream attempt's cells, by its route and outcome. */
  private readonly attemptCells: AttemptCellTable;
  /** Spend cells by tenant label: a priced request finds its cell without a key string made for it. */
  private readonly tenantCostCells = new Map<string, CounterCell<"tenant">>();
  /** The config's tenants as tenantLabel last read them, and their names as a set. */
  private knownTenants: ReturnType<MetricSources["tenants"]> | undefined;
  private tenantNames = new Set<string>();
  /** The provider label of each configured route (`provider:<name>`), made once, not sliced per request. */
  private readonly providers = new Map<string, string>();
  /**
   * The label values the config in force names (at start, then each applied reload's); undefined
   * where no config is told (`sources.configured`), and every value is its own label.
   */
  private inForce: KeptLabels | undefined;
  private readonly retries: FoldedCounter<"provider">;
  private readonly failovers: FoldedCounter<"model">;
  private readonly refusals: FoldedCounter<"kind">;
  /**
   * Retry, failover and refusal cells by their one label: a storm of 429s or a failing upstream
   * counts each request without prom-client hashing a label object for it (~110 ns and a string
   * and an object a call).
   */
  private readonly retryCells = new Map<string, CounterCell<"provider">>();
  private readonly failoverCells = new Map<string, CounterCell<"model">>();
  private readonly refusalCells = new Map<string, CounterCell<"kind">>();
  private readonly flushes: Histogram;
  private readonly reloads: Counter<"result">;

  constructor(
    private readonly sources: MetricSources,
    /** The label for a requested model: the config's name for it, else `other` (labels.ts `modelLabeller`). */
    private readonly modelLabel: (model: string | null) => string,
    /** Where a family left out of a scrape (its source threw) is told (family-failures.ts). */
    logger: Pick<Logger, "warn"> = silentLogger,
  ) {
    const registers = [this.registry];
    const families = createGatewayFamilies(registers, () => this.openStreams);
    this.requestCells = new RequestCellTable(families.request);
    this.tenantCost = families.tenantCost;
    this.attemptCells = new AttemptCellTable(families.attempts, families.attemptDuration, (route) =>
      this.providerLabel(route),
    );
    this.retries = families.retries;
    this.failovers = families.failovers;
    this.refusals = families.refusals;
    this.flushes = families.flushes;
    this.reloads = families.reloads;
    // Each bounded label's series from the start, at 0: Prometheus's increase() and rate() take a
    // series' first sample as its start, so a refusal or a reload counted into a series it made
    // would be no increase, and an alert on the first of them (MindgwBudgetRefusals,
    // MindgwConfigRejected) would not fire.
    for (const kind of REFUSAL_KINDS) branch(this.refusalCells, kind, this.newRefusal).inc(0);
    for (const result of RELOAD_RESULTS) this.reloads.inc({ result }, 0);
    const configured = sources.configured?.();
    if (configured) {
      this.inForce = new KeptLabels(configured);
      this.seedConfigured(configured);
    }
    registerScrapedMetrics(registers, sources, () => this.inForce);
    // Last: its family is printed after those whose failures it counts.
    this.registry.leaveOutFailed(new FamilyFailures(this.registry, logger));
  }

  /**
   * The series of traffic whose labels the config bounds, made at 0 (at start, and for what a
   * reload adds), for the reason above: each configured model's 5xx answers on each front door
   * that calls a model, by each provider its routes go to (and `none`: refused before any route),
   * its spend, each configured tenant's spend (each shadow route's copies and spend are printed
   * at 0 by their scraped families, from `inForce`). Only counters: a label set's histograms
   * start at its first request (RequestCellTable `seed`). Unbounded label values (a made-up model
   * is `other`, a worker's name is `workers`) still start at their first event.
   */
  private seedConfigured(configured: ConfiguredLabels): void {
    for (const { model, providers } of configured.models)
      for (const provider of [...providers, "none"])
        for (const frontDoor of MODEL_CALL_FRONT_DOORS)
          this.requestCells.seed(frontDoor, model, provider, "5xx");
    for (const tenant of ["default", ...configured.tenants])
      branch(this.tenantCostCells, tenant, this.newTenantCost).inc(0);
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
  private readonly newRetry = (provider: string) => this.retries.cell({ provider });
  private readonly newFailover = (model: string) => this.failovers.cell({ model });
  private readonly newRefusal = (kind: string) => this.refusals.cell({ kind });

  streamStarted(): void {
    this.openStreams++;
  }

  streamEnded(): void {
    this.openStreams--;
  }

  requestFinished(record: AuditRecord, error: GatewayError | undefined): void {
    const provider = this.providerLabel(record.route);
    const cells = this.requestCells.of(
      record.frontDoor,
      this.servedModelLabel(record.model, provider),
      provider,
      statusClass(record.status),
    );
    cells.requests.inc();
    cells.duration.observe(record.latencyMs / 1000);
    if (record.ttfbMs !== null && record.status < 400) cells.ttft?.observe(record.ttfbMs / 1000);
    if (record.inputTokens > 0 || record.outputTokens > 0) {
      cells.inputTokens.observe(record.inputTokens);
      cells.outputTokens?.observe(record.outputTokens);
    }
    if (record.costUsd > 0) {
      cells.cost.inc(record.costUsd);
      branch(this.tenantCostCells, this.tenantLabel(record.tenant), this.newTenantCost).inc(record.costUsd);
    }
    const kind = refusalKind(record, error);
    if (kind) branch(this.refusalCells, kind, this.newRefusal).inc();
  }

  /**
   * A finished request's model label, read as it ends: a call a worker served whose model no
   * worker serves any longer (its last worker lost under it: `worker_lost`) would read as `other`,
   * a model nothing routes, but it was the workers' call, and counts as theirs.
   */
  private servedModelLabel(model: string | null, provider: string): string {
    const label = this.modelLabel(model);
    return label === "other" && provider === "workers" ? "workers" : label;
  }

  /**
   * One upstream attempt, once its verdict is in (committed, or failed): counted by its outcome.
   * Its cells are handed back for `attemptEnded` to time it when its upstream work is over (a
   * committed stream's end): the attempt keeps them, so no second lookup.
   */
  attempted(route: string, error: GatewayError | undefined): AttemptCells {
    const cells = this.attemptCells.of(route, attemptOutcome(error));
    cells.count.inc();
    return cells;
  }

  /**
   * An attempt's whole operation, from its start to its end (a stream's last event, or the
   * failure), as the GenAI conventions' `gen_ai.client.operation.duration` is: its verdict's cells.
   */
  attemptEnded(cells: AttemptCells, seconds: number): void {
    cells.duration.observe(seconds);
  }

  /**
   * `providerOf(route)`, kept per route for configured providers only: their number is bounded by
   * config, while worker routes (`worker:<name>`, named by the workers) are not. A provider the
   * config in force no longer names is `other`, as a removed model is: a request to it still under
   * way across the reload that removed it (its last attempt, its retry, its end) would otherwise
   * make a series of it again, which no later reload removes. Its own lookup,
   * not `branch`: every other `branch` finds an object (a Map, a cell), and one that found a string
   * beside them, both inlined into `attempted`, had its optimised code exit 101 times (BadType) and
   * be compiled again.
   */
  private providerLabel(route: string | null): string {
    if (route === null || !route.startsWith("provider:")) return providerOf(route);
    let label = this.providers.get(route);
    if (label === undefined) {
      label = providerOf(route);
      if (this.inForce?.provider(label) === false) label = "other";
      this.providers.set(route, label);
    }
    return label;
  }

  /** An upstream attempt starting: a retry on its route, or a failover of the request's model. */
  attemptStarted(info: AttemptInfo, model: string | null): void {
    if (info.retry > 0) branch(this.retryCells, this.providerLabel(info.route), this.newRetry).inc();
    if (info.failover) branch(this.failoverCells, this.modelLabel(model ?? ""), this.newFailover).inc();
  }

  auditFlushed(seconds: number): void {
    this.flushes.observe(seconds);
  }

  configReloaded(result: ReloadResult): void {
    this.reloads.inc({ result });
    if (result !== "applied") return;
    const configured = this.sources.configured?.();
    if (!configured) return;
    this.inForce = new KeptLabels(configured);
    this.forgetUnconfigured(this.inForce);
    // The new config's models and tenants: counted from 0 before their first request.
    this.seedConfigured(configured);
  }

  /**
   * The series of what the config in force no longer names leave the exposition: a removed
   * model's (its requests, durations, tokens, spend, failovers), a removed route's requests, a
   * removed provider's attempts and retries, a removed tenant's spend (a removed shadow's copies
   * and spend leave at each scrape: shadow-metrics.ts). Their counts are of nothing that exists,
   * and a process reloaded for months would print every model it ever had on each scrape. One
   * added back starts from 0, as a new one does (a shadow's from what its copies counted before).
   */
  private forgetUnconfigured(kept: KeptLabels): void {
    this.requestCells.forget(kept);
    this.attemptCells.forget(kept);
    forgetCells(this.retries, this.retryCells, "provider", (provider) => kept.provider(provider));
    forgetCells(this.failovers, this.failoverCells, "model", (model) => kept.model(model));
    forgetCells(this.tenantCost, this.tenantCostCells, "tenant", (tenant) => kept.tenant(tenant));
    // Route labels of removed providers: made again on demand.
    this.providers.clear();
  }

  /** The text exposition format. */
  scrape(): Promise<string> {
    return this.registry.exposition();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A one-label family's series whose value `kept` refuses: out of the exposition, and their cells out of `cells`. */
function forgetCells<L extends string>(
  family: FoldedCounter<L>,
  cells: Map<string, CounterCell<L>>,
  label: L,
  kept: (value: string) => boolean,
): void {
  family.forget((labels) => !kept(labels[label]));
  for (const value of cells.keys()) if (!kept(value)) cells.delete(value);
}
