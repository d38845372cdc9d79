import type { Config } from "../config/config-schema.ts";
import { RESTART_ONLY } from "../config/restart-only.ts";
import { stableJson } from "../core/stable-json.ts";

const RESTART_ONLY_PATHS: ReadonlySet<string> = new Set(RESTART_ONLY);

/**
 * Whether `next` changes anything a running gateway applies: any field but the restart-only ones
 * (a dotted prefix covers everything under it), compared by value whatever the order of keys.
 */
export function changesBeyondRestartOnly(previous: Config, next: Config): boolean {
  return appliedText(previous) !== appliedText(next);
}

/** The config as JSON with its object keys sorted and the restart-only paths left out. */
const appliedText = (config: Config): string => stableJson(config, (path) => RESTART_ONLY_PATHS.has(path));
