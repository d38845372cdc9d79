import { Counter, type Registry } from "prom-client";
import type { Logger } from "../../log/logger.ts";
import { repeatedFailure } from "../../log/repeated-failure.ts";

/**
 * The families a scrape left out, each because reading its source threw (a store, a policy, a
 * part of the gateway in a state it should not be in): counted by family in
 * `mindgw_metric_family_errors_total` and logged, the first failure of each family at once and
 * then at most one line every 30 s with how many failed (log/repeated-failure.ts). One such source
 * once failed the whole `/metrics` scrape (a 500): every other family went unscraped with it.
 */
export class FamilyFailures {
  readonly name = "mindgw_metric_family_errors_total";
  /** Failures by family, since start. */
  private readonly counts = new Map<string, number>();
  private readonly said = new Map<string, (error: unknown) => void>();

  /**
   * Its counter is registered in `registry` now: make it after every other family, so that it is
   * printed last, after the families whose failures it counts (own-text-registry.ts).
   */
  constructor(
    registry: Registry,
    private readonly logger: Pick<Logger, "warn">,
  ) {
    const { counts, name } = this;
    new Counter({
      name,
      help: "Scrapes that left a metric family out because reading its source threw (the rest of the scrape was served), by family",
      labelNames: ["family"],
      registers: [registry],
      // Each family's series from the start, at 0: an alert on its increase sees the first failure.
      collect() {
        this.reset();
        for (const metric of registry.getMetricsAsArray())
          if (metric.name !== name) this.inc({ family: metric.name }, counts.get(metric.name) ?? 0);
      },
    });
  }

  /** `family` was left out of this scrape: reading it threw `error`. */
  failed(family: string, error: unknown): void {
    this.counts.set(family, (this.counts.get(family) ?? 0) + 1);
    let say = this.said.get(family);
    if (say === undefined) {
      const warn = repeatedFailure(this.logger, `reading the metric family ${family}`);
      say = (cause) => warn(cause, { family });
      this.said.set(family, say);
    }
    say(error);
  }
}
