import { Counter, Gauge, type Registry } from "prom-client";
import type { ShadowCounts } from "./metric-sources.ts";

/**
 * The ways a shadow copy ends that have a series per shadow provider from the start: `ok`, and the
 * failures any upstream may cause (an error answer or a cut stream, `shadow.timeout`, a stop).
 * Rarer codes start at their first copy.
 */
export const SHADOW_OUTCOMES = ["ok", "upstream_error", "upstream_timeout", "unavailable"] as const;

/**
 * The shadow label values of the config in force (kept-labels.ts): each `shadow:` route's provider
 * and its model, whose series are printed at 0 before their first copy (by each of
 * `SHADOW_OUTCOMES`; its shadow spend), and the only ones printed: a shadow a reload removed
 * takes its copies' counts and spend out of the exposition, as a removed route's requests leave.
 */
export interface ShadowLabels {
  readonly shadowProviders: ReadonlySet<string>;
  /** The shadowed models' names (an alias is no series of its own until a copy's spend names it). */
  readonly shadowModels: ReadonlySet<string>;
  /** A shadow spend's model label (a shadowed model's name or alias) the config in force shadows. */
  shadowed(model: string): boolean;
}

/**
 * The shadow copies' families, read from the shadow runner at scrape time: shed, skipped, ended by provider
 * and outcome, their spend by model, and those in flight. `inForce`: the config in force's shadow
 * labels (at start, then each applied reload's); undefined, none at 0 and every count printed.
 */
export function registerShadowMetrics(
  registers: Registry[],
  shadow: () => ShadowCounts,
  inForce: () => ShadowLabels | undefined,
): void {
  new Counter({
    name: "mindgw_shadow_shed_total",
    help: "Shadow copies not sent: shadow.max_concurrent copies were in flight, or no worker of a provider: workers shadow had a slot free beside the copy's",
    registers,
    collect() {
      this.reset();
      this.inc(shadow().shed);
    },
  });
  new Counter({
    name: "mindgw_shadow_skipped_total",
    help: "Shadow copies not sent: the shadow route could not carry the request as asked (translation.unsupported: reject, or a part it takes under no policy)",
    registers,
    collect() {
      this.reset();
      this.inc(shadow().skipped);
    },
  });
  new Counter({
    name: "mindgw_shadow_copies_total",
    help: "Shadow copies that ended, by the shadow route's provider and outcome (ok or the failure's code)",
    labelNames: ["provider", "outcome"],
    registers,
    collect() {
      this.reset();
      const labels = inForce();
      // At 0 from the start for each configured shadow provider: the first failing copy is an
      // increase (MindgwShadowCopiesFailing), not a series' first sample.
      for (const provider of labels?.shadowProviders ?? [])
        for (const outcome of SHADOW_OUTCOMES) this.inc({ provider, outcome }, 0);
      for (const { provider, outcome, count } of shadow().ended)
        if (labels === undefined || labels.shadowProviders.has(provider))
          this.inc({ provider, outcome }, count);
    },
  });
  new Counter({
    name: "mindgw_shadow_cost_usd_total",
    help: "Spend in USD on shadow copies at the shadow routes' prices, by model (in no other cost family)",
    labelNames: ["model"],
    registers,
    collect() {
      this.reset();
      const labels = inForce();
      for (const model of labels?.shadowModels ?? []) this.inc({ model }, 0);
      for (const { model, usd } of shadow().spent)
        if (labels === undefined || labels.shadowed(model)) this.inc({ model }, usd);
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
