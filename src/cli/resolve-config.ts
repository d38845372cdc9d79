import type { Config } from "../config/config-schema.ts";
import { type ConfigSource, openFileConfigSource, staticConfigSource } from "../config/config-source.ts";
import { EMBEDDED_DEFAULTS, loadConfigFile, parseConfig } from "../config/load-config.ts";

type Env = Record<string, string | undefined>;

/** `-c FILE`, else `MINDGW_CONFIG` (empty counts as unset); undefined means the embedded defaults. */
export function configFileFrom(flag: string | undefined, env: Env = process.env): string | undefined {
  return flag || env.MINDGW_CONFIG || undefined;
}

/** The config of `-c FILE`, else `MINDGW_CONFIG`, else the embedded defaults. */
export async function resolveConfig(file: string | undefined): Promise<{ config: Config; path?: string }> {
  const path = configFileFrom(file);
  if (path) return { config: await loadConfigFile(path), path };
  return { config: parseConfig(EMBEDDED_DEFAULTS) };
}

/** What `mindgw serve` runs on: the file of `-c FILE` or `MINDGW_CONFIG`, watched, else the embedded defaults. */
export async function resolveConfigSource(file: string | undefined): Promise<ConfigSource> {
  const path = configFileFrom(file);
  return path ? await openFileConfigSource(path) : staticConfigSource(parseConfig(EMBEDDED_DEFAULTS));
}
