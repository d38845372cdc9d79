import { z } from "zod";
import { DEFAULT_MAX_QUEUE_BYTES } from "../audit/audit-writer-options.ts";
import { LOG_FORMATS, LOG_LEVELS } from "../log/logger.ts";
import { adminUiConfigSchema } from "./admin-ui-config.ts";
import { appsSchema } from "./app-config.ts";
import { clusterConfigSchema } from "./cluster-config.ts";
import { bool, duration, milliseconds, num, size } from "./config-values.ts";
import { eventsConfigSchema } from "./events-config.ts";
import { jwtConfigSchema } from "./jwt-config.ts";
import { metricsConfigSchema } from "./metrics-config.ts";
import { modelSchema } from "./model-config.ts";
import { priceTableSchema } from "./price-table.ts";
import { providerSchema } from "./provider-config.ts";
import { routingConfigSchema } from "./routing-config.ts";
import { serverConfigSchema } from "./server-config.ts";
import { storageConfigSchema } from "./storage-config.ts";
import { tenantsSchema } from "./tenant-config.ts";
import { formatSize } from "./units.ts";

export { WORKERS_PROVIDER } from "./provider-config.ts";
export type { Timeouts } from "./timeouts-config.ts";

/**
 * The whole config file, one key a section; the larger sections are schemas of their own files
 * (`server-config.ts`, `provider-config.ts`, …). Every config type is read off this one.
 */
export const configSchema = z.strictObject({
  server: serverConfigSchema.prefault({}),
  /** Log lines on stderr; read at start (a change takes effect at the next restart). */
  log: z
    .strictObject({ format: z.enum(LOG_FORMATS).default("text"), level: z.enum(LOG_LEVELS).default("info") })
    .prefault({}),
  /** Prometheus metrics; read at start (a change takes effect at the next restart). */
  metrics: metricsConfigSchema.prefault({}),
  storage: storageConfigSchema.prefault({}),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]),
  routing: routingConfigSchema.prefault({}),
  /** Translation between dialects (docs/CLIENTS.md). */
  translation: z
    .strictObject({
      /**
       * What the upstream's dialect cannot express (hosted tools, beta-only fields, item types):
       * `drop` sends the request without it and names it in `x-mindgw-dropped`; `reject` is a 400.
       */
      unsupported: z.enum(["drop", "reject"]).default("drop"),
    })
    .prefault({}),
  auth: z
    .strictObject({
      jwt: jwtConfigSchema.optional(),
      /** Create and print one admin key when the key store is empty at start. */
      bootstrap_admin: bool().default(true),
    })
    .prefault({}),
  /** Groups of keys bound as a whole: models, rpm, tpm and budget over all their keys. */
  tenants: tenantsSchema,
  /** Where gateway events go besides the live stream; read at start (an edit takes effect at restart). */
  events: eventsConfigSchema.prefault({}),
  /** How shadow copies (models[].shadow) run and are kept; see shadow/. */
  shadow: z
    .strictObject({
      /** Shadow calls in flight at once; a sampled request over the cap is shed (counted), never queued. */
      max_concurrent: num(z.number().int().min(1).max(10_000)).default(16),
      /** A shadow call's own bound, whole answer included; it never waits on the client's. */
      timeout: duration("60s", 'every copy would be cut off at once; 0 is not "no bound" here'),
      /** The most of each answer's text kept with a pair, in bytes of UTF-8 (only with `audit.bodies: true`); 0: none of it. */
      max_answer: size("16KB"),
      /** Pairs older than this are deleted. */
      retention: duration(
        "30d",
        'every pair would be deleted as soon as it is recorded; 0 is not "keep forever"',
      ),
    })
    .prefault({}),
  /** Front doors mounted under path prefixes; without any, every front door is at the root. */
  apps: appsSchema,
  /** USD per million tokens, by client-facing model name; budgets use these. */
  prices: priceTableSchema.prefault({}),
  audit: z
    .strictObject({
      bodies: bool().default(false),
      // The longest month: a tenant's usage this month is counted from rows still kept.
      retention: duration(
        "31d",
        'every row would be deleted within a second of being written; 0 is not "keep forever"',
      ),
      /** Most a row waits in memory: 1 to 10,000 ms, as a bare number of ms or a duration ("250ms", "2s"). */
      flush_ms: milliseconds(z.number().int().min(1).max(10_000)).default(100),
      fail_open: bool().default(false),
      /**
       * What the rows waiting to be written may take. A row whose bodies would take the queue past
       * it is written with each body replaced by a marker (audit/queued-bodies.ts `BODY_NOT_KEPT`); a row
       * that finds it full is dropped and counted, as past the 100,000 rows. At least 64KB.
       */
      max_queue_bytes: size(formatSize(DEFAULT_MAX_QUEUE_BYTES), 64 * 1024),
      /**
       * Where a stop puts the rows its storage never took (audit/unwritten-rows.ts): `file`, an
       * NDJSON file beside the SQLite database or in the working directory (stderr when no file
       * takes them); `stderr`, the process's stderr alone, between marker lines: a container's log
       * outlives its pod, whose working directory (no volume) does not.
       */
      unwritten_rows: z.enum(["file", "stderr"]).default("file"),
    })
    .prefault({}),
  workers: z
    .strictObject({
      enabled: bool().default(true),
      heartbeat_timeout: duration("30s", "every worker would be dropped as silent, so none could connect"),
      /** Browser origins allowed on the upgrade; workers send none, so the default is none. */
      allowed_origins: z.array(z.string()).default([]),
      /**
       * Largest WebSocket message accepted from a worker (a larger one closes it, 1009), and a peer
       * link's. At least 64KB (at 0, every worker was closed at its register): a worker cuts its
       * body chunks to fit it, header included. A register listing hundreds of long model names
       * can need more (the protocol admits 1,000 of 256 characters): the worker says so.
       */
      max_message: size("1MB", 64 * 1024),
    })
    .prefault({}),
  admin_ui: adminUiConfigSchema.prefault({}),
  /**
   * Several nodes (src/cluster/): shared counters, key-change notices, the node directory and
   * worker presence in Redis; requests for a worker held by another node are forwarded there.
   * Absent: one node, everything in memory. Restart required for every option.
   */
  cluster: clusterConfigSchema.optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = Config["providers"][number];
export type ModelConfig = Config["models"][number];
export type RouteConfig = ModelConfig["routes"][number];
