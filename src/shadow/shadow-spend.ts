import type { ModelSpend } from "../telemetry/metrics/metric-sources.ts";

/**
 * What shadow copies cost since start, by model: the price of each pair's shadow side as it is
 * recorded (on the event loop or the shadow thread), under the model's config name (`label`), so
 * the models are bounded by the config as metric labels must be. Shadow copies are billed to no
 * key or tenant, and appear in no other cost figure.
 */
export class ShadowSpend {
  private readonly byModel = new Map<string, number>();

  constructor(private readonly label: (model: string) => string) {}

  add(model: string, usd: number): void {
    if (!(usd > 0)) return;
    const name = this.label(model);
    this.byModel.set(name, (this.byModel.get(name) ?? 0) + usd);
  }

  list(): ModelSpend[] {
    const spent: ModelSpend[] = [];
    for (const [model, usd] of this.byModel) spent.push({ model, usd });
    return spent;
  }
}
