import { parsePrometheus } from "../../test/e2e/harness/prometheus-text.ts";

/**
 * The samples of `family` in a /metrics scrape whose labels hold `where`, by the values of the
 * labels `keys` joined with a space: `seriesBy(text, "mindgw_upstream_attempts_total",
 * ["provider", "outcome"])` is `{ "demo ok": 2 }`.
 */
export function seriesBy(
  text: string,
  family: string,
  keys: readonly string[],
  where: Readonly<Record<string, string>> = {},
): Record<string, number> {
  const wanted = Object.entries(where);
  return Object.fromEntries(
    parsePrometheus(text)
      .filter((s) => s.name === family && wanted.every(([label, value]) => s.labels[label] === value))
      .map((s) => [keys.map((key) => s.labels[key]).join(" "), s.value]),
  );
}
