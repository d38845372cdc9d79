import { readySpillDir } from "../audit/spill-dir.ts";
import type { UnwrittenRowsPlace } from "../audit/unwritten-rows.ts";
import type { Config } from "../config/config-schema.ts";
import { type ConfigSource, fileConfigSource, staticConfigSource } from "../config/config-source.ts";
import { guardedLogger } from "../log/guarded-logger.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import type { GatewayOptions } from "./gateway-options.ts";

// The options' defaults: what the gateway is built from when the embedder hands in none of its own.

/** Where the gateway's config comes from: the source handed in, the file named, or the config alone. */
export function configSourceOf(options: GatewayOptions): ConfigSource {
  if (options.configSource) return options.configSource;
  return options.configPath
    ? fileConfigSource(options.configPath, options.config)
    : staticConfigSource(options.config);
}

/**
 * A logger handed in is called through a guard (no log call can throw into the gateway), but one
 * createLogger made for stderr, as `mindgw serve` hands its own: its writes never throw.
 */
export function loggerOf(options: GatewayOptions, config: Config): Logger {
  return options.logger ? guardedLogger(options.logger) : createLogger(config.log);
}

/**
 * Where the audit writes the rows its store did not take: an embedder's own storage gets no file
 * beside the config's SQLite path, which it never used. An `auditSpillDir` is made here, at start,
 * where it is missing; one that cannot be made or written to refuses the start (spill-dir.ts).
 */
export function auditSpillOf(options: GatewayOptions, config: Config): UnwrittenRowsPlace {
  if (options.auditSpillDir !== undefined) readySpillDir(options.auditSpillDir);
  return options.storage || options.auditSpillDir !== undefined
    ? { ...(options.auditSpillDir === undefined ? {} : { dir: options.auditSpillDir }) }
    : { beside: config.storage };
}
