import { Registry } from "prom-client";

/** A family that prints its exposition text itself, from its own cells (folded-metrics.ts). */
export interface PrintsOwnText {
  ownText(): string;
}

const printsOwnText = (metric: object): metric is PrintsOwnText =>
  typeof (metric as Partial<PrintsOwnText>).ownText === "function";

/**
 * A prom-client registry whose scrape (`exposition`) takes the folded families' text from the
 * families themselves: prom-client prints each series from a label object (~1.5 µs a series),
 * which made a config of 1,000 models cost ~25 ms of the event loop a scrape for its series at 0
 * alone (docs/OBSERVABILITY.md). Their text is the Prometheus format with no default labels, so
 * the registry refuses what would make prom-client print otherwise (OpenMetrics, default labels),
 * rather than have a scrape leave it out; a folded family refuses a `collect` callback itself.
 */
export class OwnTextRegistry extends Registry {
  /** `registry.metrics()`, the folded families' text taken from them. */
  async exposition(): Promise<string> {
    // Set through prom-client's constructor, which TypeScript does not let one call so.
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) throw notPrometheus(this.contentType);
    const texts = await Promise.all(
      this.getMetricsAsArray().map((metric) =>
        printsOwnText(metric) ? metric.ownText() : this.getSingleMetricAsString(metric.name),
      ),
    );
    return `${texts.join("\n\n")}\n`;
  }

  override setDefaultLabels(_labels: object): void {
    throw new Error("default labels are not printed by the folded metric families: set none");
  }

  override setContentType(contentType: string): void {
    if (contentType !== Registry.PROMETHEUS_CONTENT_TYPE) throw notPrometheus(contentType);
    super.setContentType(contentType);
  }
}

const notPrometheus = (contentType: string) =>
  new Error(`the folded metric families print the Prometheus text format only, not ${contentType}`);
