import { type MetricObject, Registry } from "prom-client";
import type { FamilyFailures } from "./family-failures.ts";

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
 * Given `failures`, a family whose reading throws is left out of the scrape and told there, the
 * rest served (family-failures.ts); without, the scrape fails as prom-client's does.
 */
export class OwnTextRegistry extends Registry {
  private failures: FamilyFailures | undefined;

  /** From now on a family whose reading throws is left out and told to `failures` (registered last). */
  leaveOutFailed(failures: FamilyFailures): void {
    this.failures = failures;
  }

  /** `registry.metrics()`, the folded families' text taken from them. */
  async exposition(): Promise<string> {
    // Set through prom-client's constructor, which TypeScript does not let one call so.
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) throw notPrometheus(this.contentType);
    const failures = this.failures;
    const metrics = this.getMetricsAsArray();
    const texts = await Promise.all(
      metrics.map((metric) => (metric.name === failures?.name ? undefined : this.familyText(metric))),
    );
    const served = texts.filter((text) => text !== undefined);
    // The failures' count last, once this scrape's are counted: it is the last family registered.
    if (failures) served.push(await this.getSingleMetricAsString(failures.name));
    return `${served.join("\n\n")}\n`;
  }

  /** One family's text; undefined when reading it threw and `failures` took that. */
  private async familyText(metric: MetricObject): Promise<string | undefined> {
    try {
      return printsOwnText(metric) ? metric.ownText() : await this.getSingleMetricAsString(metric.name);
    } catch (error) {
      if (!this.failures) throw error;
      this.failures.failed(metric.name, error);
      return undefined;
    }
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
