import type { Config } from "../config/config-schema.ts";
import { EMBEDDED_DEFAULTS, loadConfigFile, parseConfig } from "../config/load-config.ts";

/** `-c FILE`, else `MINDGW_CONFIG`, else the embedded defaults. */
export async function resolveConfig(file: string | undefined): Promise<{ config: Config; path?: string }> {
  const path = file ?? process.env.MINDGW_CONFIG;
  if (path) return { config: await loadConfigFile(path), path };
  return { config: parseConfig(EMBEDDED_DEFAULTS) };
}
