import type { Registry } from "prom-client";

/**
 * The text exposition format as prom-client 15 writes it (registry.js `getMetricsAsString`), for
 * the families that print their own series (`PrintsOwnText`): the same escapes, label order and
 * numbers, so a scrape reads byte for byte as the client library's would.
 */

/** A family that keeps its exposition text itself, each series printed again only once it changed. */
export interface PrintsOwnText {
  ownText(): string;
}

const printsOwnText = (metric: object): metric is PrintsOwnText =>
  typeof (metric as Partial<PrintsOwnText>).ownText === "function";

/**
 * `registry.metrics()` (the Prometheus text format, the registry's default, and no default
 * labels: ours sets neither), the folded families' text taken from them: prom-client prints each
 * series from a label object (~1.5 µs a series), which made a config of 1,000 models cost ~25 ms
 * of the event loop a scrape for its series at 0 alone (docs/OBSERVABILITY.md).
 */
export async function expositionOf(registry: Registry): Promise<string> {
  const texts = await Promise.all(
    registry
      .getMetricsAsArray()
      .map((metric) =>
        printsOwnText(metric) ? metric.ownText() : registry.getSingleMetricAsString(metric.name),
      ),
  );
  return `${texts.join("\n\n")}\n`;
}

const escaped = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** The `# HELP` and `# TYPE` lines. */
export const familyHead = (name: string, help: string, type: string): string =>
  `# HELP ${escaped(name)} ${escaped(help)}\n# TYPE ${escaped(name)} ${type}`;

/** `{name="value",…}` in the object's order, `""` for no label. */
export function labelsText(labels: Readonly<Partial<Record<string, string | number>>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels))
    parts.push(`${name}="${typeof value === "string" ? escaped(value).replace(/"/g, '\\"') : value}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

export function valueText(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}
