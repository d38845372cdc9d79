import type { Config } from "../config/config-schema.ts";
import { RESTART_ONLY } from "../config/restart-only.ts";

const RESTART_ONLY_PATHS: ReadonlySet<string> = new Set(RESTART_ONLY);

/**
 * Whether `next` changes anything a running gateway applies: any field but the restart-only ones
 * (a dotted prefix covers everything under it), compared by value whatever the order of keys.
 */
export function changesBeyondRestartOnly(previous: Config, next: Config): boolean {
  return appliedText(previous, "") !== appliedText(next, "");
}

/** The value as JSON with its object keys sorted and the restart-only paths left out. */
function appliedText(value: unknown, path: string): string {
  if (Array.isArray(value)) return `[${value.map((item) => appliedText(item, `${path}[]`)).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const fields: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    const at = path === "" ? key : `${path}.${key}`;
    if (item !== undefined && !RESTART_ONLY_PATHS.has(at))
      fields.push(`${JSON.stringify(key)}:${appliedText(item, at)}`);
  }
  return `{${fields.join(",")}}`;
}
