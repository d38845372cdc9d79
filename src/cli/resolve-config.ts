import type { Config } from "../config/config-schema.ts";
import { type ConfigSource, openFileConfigSource, staticConfigSource } from "../config/config-source.ts";
import { extensionFieldNames } from "../config/extension-fields.ts";
import { EMBEDDED_DEFAULTS, parseConfig, readConfigFile } from "../config/load-config.ts";
import { readStoreConfig, type StoreConfig } from "../config/read-store-config.ts";
import { givenFlag } from "./given-flag.ts";

type Env = Record<string, string | undefined>;

/**
 * `-c FILE`, else `MINDGW_CONFIG` (empty counts as unset); undefined means the embedded defaults.
 * `-c ""` is a usage error naming it (given-flag.ts), never the environment's file.
 */
export function configFileFrom(flag: string | undefined, env: Env = process.env): string | undefined {
  return givenFlag("-c/--config", flag) || env.MINDGW_CONFIG || undefined;
}

/** A config resolved, with where it came from. */
export interface ResolvedConfig {
  config: Config;
  /** The file read; undefined for the embedded defaults. */
  path?: string;
  /** The file's top-level `x-` keys, read for anchors only (none for the embedded defaults). */
  extensions: string[];
  /** What the YAML library read in the file but warned of (config/yaml-text.ts `parseYaml`). */
  warnings: string[];
}

/** The config of `-c FILE`, else `MINDGW_CONFIG`, else the embedded defaults; a file is read once. */
export async function resolveConfig(file: string | undefined): Promise<ResolvedConfig> {
  const path = configFileFrom(file);
  if (!path) return { config: parseConfig(EMBEDDED_DEFAULTS), extensions: [], warnings: [] };
  const { config, document, warnings } = await readConfigFile(path);
  return { config, path, extensions: extensionFieldNames(document), warnings };
}

/**
 * The config of `-c FILE`, else `MINDGW_CONFIG`, else the embedded defaults, as a command that works
 * on the store alone reads it (read-store-config.ts): its storage, tenants and cluster.
 */
export async function resolveStoreConfig(file: string | undefined): Promise<StoreConfig> {
  const path = configFileFrom(file);
  return path ? await readStoreConfig(path) : { config: parseConfig(EMBEDDED_DEFAULTS) };
}

/** What `mindgw serve` runs on: the file of `-c FILE` or `MINDGW_CONFIG`, watched, else the embedded defaults. */
export async function resolveConfigSource(file: string | undefined): Promise<ConfigSource> {
  const path = configFileFrom(file);
  return path ? await openFileConfigSource(path) : staticConfigSource(parseConfig(EMBEDDED_DEFAULTS));
}
