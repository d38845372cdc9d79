import type { CopyCount } from "../telemetry/metrics/metric-sources.ts";

/**
 * Shadow copies that ended since start, by provider and outcome: both bounded (providers by the
 * config, outcomes by the gateway's error codes), so they can be metric labels. Copies are
 * sampled, never every request: a Map a provider is cheap enough.
 */
export class CopyCounts {
  private readonly byProvider = new Map<string, Map<string, number>>();

  add(provider: string, outcome: string): void {
    let outcomes = this.byProvider.get(provider);
    if (!outcomes) {
      outcomes = new Map();
      this.byProvider.set(provider, outcomes);
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }

  list(): CopyCount[] {
    const counts: CopyCount[] = [];
    for (const [provider, outcomes] of this.byProvider)
      for (const [outcome, count] of outcomes) counts.push({ provider, outcome, count });
    return counts;
  }
}
