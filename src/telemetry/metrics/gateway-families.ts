import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { FoldedCounter, FoldedHistogram } from "./folded-metrics.ts";
import type { RequestFamilies } from "./series-cells.ts";

/** Seconds; from a fast cached answer to a long generation. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds to the first token. */
const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Tokens per request, as the GenAI semantic conventions advise. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * What became of a config file change: `applied` (a new version), `restart_required` (it changes
 * restart-only settings alone: nothing applied, the version unchanged), `rejected`, `restored` (it
 * undoes a rejected or restart-only edit: nothing applied; restart-only edits may still wait, when
 * a rejected edit was undone while they did: the event's `restartRequired`).
 */
export const RELOAD_RESULTS = ["applied", "restart_required", "rejected", "restored"] as const;
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

/** The families the gateway counts its traffic into (gateway-metrics.ts); the scraped ones are scraped-metrics.ts's. */
export interface GatewayFamilies {
  readonly request: RequestFamilies;
  readonly tenantCost: FoldedCounter<"tenant">;
  readonly attempts: FoldedCounter<"provider" | "outcome">;
  readonly attemptDuration: FoldedHistogram<"provider" | "outcome">;
  readonly retries: FoldedCounter<"provider">;
  readonly failovers: FoldedCounter<"model">;
  readonly refusals: FoldedCounter<"kind">;
  readonly flushes: Histogram;
  readonly reloads: Counter<"result">;
}

/**
 * The gateway's own metric families, registered in `registers` in the order the exposition
 * prints them: names, help, labels and buckets, as docs/OBSERVABILITY.md describes each one.
 * `openStreams` is read into its gauge at scrape time.
 */
export function createGatewayFamilies(registers: Registry[], openStreams: () => number): GatewayFamilies {
  const requests = new FoldedCounter({
    name: "mindgw_requests_total",
    help: "Requests that reached the request pipeline, by front door, model, provider and status class",
    labelNames: ["front_door", "model", "provider", "status_class"],
    registers,
  });
  const duration = new FoldedHistogram({
    name: "gen_ai_server_request_duration_seconds",
    help: "Time from a request's arrival to its last byte",
    labelNames: ["front_door", "model", "status_class"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const ttft = new FoldedHistogram({
    name: "gen_ai_server_time_to_first_token_seconds",
    help: "Time from a request's arrival to the first byte of its answer (successful answers of the operations that generate tokens)",
    labelNames: ["front_door", "model"],
    buckets: TTFT_BUCKETS,
    registers,
  });
  const tokens = new FoldedHistogram({
    name: "gen_ai_client_token_usage",
    help: "Tokens per request, by type (input, output); the _sum is the total",
    labelNames: ["front_door", "model", "gen_ai_token_type"],
    buckets: TOKEN_BUCKETS,
    registers,
  });
  const cost = new FoldedCounter({
    name: "mindgw_cost_usd_total",
    help: "Spend in USD at the configured prices",
    labelNames: ["model"],
    registers,
  });
  const tenantCost = new FoldedCounter({
    name: "mindgw_tenant_cost_usd_total",
    help: "Spend in USD by tenant (tenants from config; any other is `other`)",
    labelNames: ["tenant"],
    registers,
  });
  new Gauge({
    name: "mindgw_streams_in_flight",
    help: "Streamed answers being relayed now",
    registers,
    collect() {
      this.set(openStreams());
    },
  });
  const attempts = new FoldedCounter({
    name: "mindgw_upstream_attempts_total",
    help: "Upstream attempts by provider and outcome (ok, no_such_path, or the error code)",
    labelNames: ["provider", "outcome"],
    registers,
  });
  const attemptDuration = new FoldedHistogram({
    name: "gen_ai_client_operation_duration_seconds",
    help: "Upstream attempts: time from the call's start to its end (a stream's last event) or its failure",
    labelNames: ["provider", "outcome"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const retries = new FoldedCounter({
    name: "mindgw_upstream_retries_total",
    help: "Attempts that repeated a failed one on the same route",
    labelNames: ["provider"],
    registers,
  });
  const failovers = new FoldedCounter({
    name: "mindgw_upstream_failovers_total",
    help: "Attempts on a further route after an earlier route of the model failed",
    labelNames: ["model"],
    registers,
  });
  const refusals = new FoldedCounter({
    name: "mindgw_rate_limit_refusals_total",
    help: "429 answers by kind: requests (rpm, per-address cap), tokens (tpm), budget, upstream (relayed)",
    labelNames: ["kind"],
    registers,
  });
  const flushes = new Histogram({
    name: "mindgw_audit_flush_duration_seconds",
    help: "Time to write one batch of audit records",
    buckets: FLUSH_BUCKETS,
    registers,
  });
  const reloads = new Counter({
    name: "mindgw_config_reloads_total",
    help: "Config file changes by result: applied, restart_required (restart-only fields alone: nothing applied), rejected, restored (a rejected or restart-only edit undone: nothing applied)",
    labelNames: ["result"],
    registers,
  });
  return {
    request: { requests, duration, ttft, tokens, cost },
    tenantCost,
    attempts,
    attemptDuration,
    retries,
    failovers,
    refusals,
    flushes,
    reloads,
  };
}
