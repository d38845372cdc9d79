/**
 * The text exposition format as prom-client 15 writes it (registry.js `getMetricsAsString`), for
 * the families that print their own series (own-text-registry.ts): the same escapes, label order
 * and numbers, so a scrape reads byte for byte as the client library's would.
 */

const escaped = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** The `# HELP` and `# TYPE` lines. */
export const familyHead = (name: string, help: string, type: string): string =>
  `# HELP ${escaped(name)} ${escaped(help)}\n# TYPE ${escaped(name)} ${type}`;

/** `name="value",…` in the object's order (no braces), `""` for no label. */
export function labelList(labels: Readonly<Partial<Record<string, string | number>>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels))
    parts.push(`${name}="${typeof value === "string" ? escaped(value).replace(/"/g, '\\"') : value}"`);
  return parts.join(",");
}

export function valueText(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}
