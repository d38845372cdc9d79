import { z } from "zod";
import { DEFAULT_MAX_QUEUE_BYTES } from "../audit/audit-writer.ts";
import { GATEWAY_EVENT_TYPES } from "../audit/gateway-event.ts";
import { addressBlock } from "../core/address-block.ts";
import { SINK_QUEUE_BYTES } from "../events/event-queue.ts";
import { LOG_FORMATS, LOG_LEVELS } from "../log/logger.ts";
import { adminUiConfigSchema } from "./admin-ui-config.ts";
import { appsSchema } from "./app-config.ts";
import { checkCloudProvider, cloudProviderFields } from "./cloud-provider-fields.ts";
import { configUrl } from "./config-url.ts";
import { bool, duration, durationValue, num, size } from "./config-values.ts";
import { FALLBACK_CLASSES } from "./fallback-classes.ts";
import { jwtConfigSchema } from "./jwt-config.ts";
import { priceTableSchema } from "./price-table.ts";
import { tenantsSchema } from "./tenant-config.ts";
import { formatSize } from "./units.ts";

/**
 * An event sink's filter: only these event types; all when absent. Named from the one list, so a
 * typo (`config.restart-required`) is refused at load instead of silently matching nothing.
 */
const eventTypes = z.array(z.enum(GATEWAY_EVENT_TYPES)).optional();

/**
 * What a sink's queued events' JSON may add up to; past it too the oldest are dropped. At least
 * 64KB, room for any one event (a finished request's is about 1 KB): at 0 every event was dropped.
 */
const sinkQueueBytes = size(formatSize(SINK_QUEUE_BYTES), 64 * 1024);

/** Per-attempt bounds; every one ends the attempt with a 504 (and a retry where allowed). */
const timeoutsSchema = z.strictObject({
  connect: duration("10s"),
  first_byte: duration("120s"),
  idle: duration("60s"),
});
const partialTimeouts = z.strictObject({
  connect: durationValue.optional(),
  first_byte: durationValue.optional(),
  idle: durationValue.optional(),
});

export const PROVIDER_TYPES = [
  "openai",
  "anthropic",
  "azure",
  "bedrock",
  "gemini",
  "vertex",
  "mock",
] as const;
/** Reserved provider name: any connected worker serving the route's model. */
export const WORKERS_PROVIDER = "workers";

const providerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/i, "letters, digits, '.', '_' and '-' only")
      .refine((name) => name !== WORKERS_PROVIDER, `"${WORKERS_PROVIDER}" is reserved for connected workers`),
    type: z.enum(PROVIDER_TYPES),
    /** openai: includes /v1. anthropic: the API root; requests go to {base_url}/v1/messages. */
    base_url: configUrl({ protocol: /^https?$/ }).optional(),
    api_key: z.string().optional(),
    /** Static extra headers sent upstream (from config only, never from clients). */
    headers: z.record(z.string(), z.string()).prefault({}),
    /**
     * openai only: the upstream serves the Responses API itself, so `/v1/responses` calls pass
     * through untranslated. Default: on for api.openai.com, off elsewhere (translated to chat).
     */
    responses_api: bool().optional(),
    /** anthropic only: the `anthropic-version` header. */
    anthropic_version: z.string().default("2023-06-01"),
    /**
     * anthropic only: what becomes of a conversation's thinking blocks that carry no signature (a
     * chat route's reasoning). `drop`: left out and named, as Claude refuses them. `keep`: sent as
     * they are, to a Messages-compatible server that is no Claude and wants its reasoning back (a
     * chat or Responses caller's reasoning too, as such blocks, and an empty one leading a
     * tool-call turn that has none, as DeepSeek's thinking mode requires; Claude's
     * `redacted_thinking`, which such a server does not take, left out and named). Default: keep for DeepSeek's `/anthropic` (api.deepseek.com), drop elsewhere.
     */
    unsigned_thinking: z.enum(["drop", "keep"]).optional(),
    timeouts: partialTimeouts.optional(),
    ...cloudProviderFields,
    /** Only models of this tenant may route here (a tenant's own upstream account). */
    tenant: z.string().optional(),
  })
  .superRefine(checkCloudProvider);

const routeSchema = z.strictObject({
  provider: z.string(),
  model: z.string().min(1),
  weight: num(z.number().positive()).default(1),
  timeouts: partialTimeouts.optional(),
  /** The upstream model's context window in tokens; default: the model catalogue's figure. */
  context_window: num(z.number().int().positive()).optional(),
});

export const STRATEGIES = ["priority", "weighted", "least-busy", "latency"] as const;

const modelSchema = z.strictObject({
  /** The name clients send; a glob (`claude-*`) matches many. Most specific match wins. */
  name: z.string().min(1),
  /** More names (or globs) for this entry: dated or suffixed names clients send. */
  aliases: z.array(z.string().min(1)).default([]),
  strategy: z.enum(STRATEGIES).default("priority"),
  /** Lets keys and tenants with a budget use this model although no price covers it. */
  allow_unpriced: bool().default(false),
  /** Fail over to the next route on these, which retrying the same route cannot cure. */
  fallback_on: z.array(z.enum(FALLBACK_CLASSES)).default([]),
  routes: z.array(routeSchema).min(1),
  shadow: z
    .strictObject({
      provider: z.string(),
      model: z.string(),
      sample: num(z.number().min(0).max(1)).default(0.1),
    })
    .optional(),
  /** Visible and usable only by keys of this tenant; to everyone else it does not exist. */
  tenant: z.string().optional(),
});

/** An address or CIDR block of `server.trusted_proxies`, named back when it is neither. */
const proxyEntry = z.string().refine((entry) => addressBlock(entry) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is no IP address or CIDR block (e.g. 10.0.0.0/8)`,
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default("0.0.0.0"),
      port: num(z.number().int().min(0).max(65535)).default(8080),
      /**
       * The largest request body; a larger one is refused (413) before it is read. At least 1KB:
       * 0 is no bound elsewhere, and an unbounded body would let any caller fill the memory.
       */
      max_body: size("10MB", 1024),
      /** How long in-flight requests may run after SIGTERM before the process exits anyway. */
      drain_timeout: duration("30s"),
      /**
       * Client requests served at once (streams count until they end); the next one gets 503
       * `over_capacity` at once instead of waiting. 0: no bound.
       */
      max_concurrent_requests: num(z.number().int().min(0)).default(4096),
      /**
       * A connection with nothing sent or received for this long is closed, authenticated or
       * not (a stream waiting for its first token sends keep-alive comments). Whole seconds,
       * 5s to 255s; takes effect at restart. Bun counts the bound in 4 s ticks from a clock of its
       * own, so a connection goes up to 4 s sooner or 3 s later; a bound of one tick (4 s or
       * less) runs out at the next tick however recently the connection was used, mid-answer too.
       */
      idle_timeout: duration("30s").pipe(
        z
          .number()
          .min(
            5000,
            "at least 5s: Bun counts it in 4 s ticks, and a bound of 4 s or less closes a connection at the next tick, even one being written to",
          )
          .max(255_000, "at most 255s"),
      ),
      /** The whole request body must arrive within this, however it trickles; else 408. */
      body_timeout: duration("30s"),
      /** Requests in flight from one client address; the next gets 429. 0: no cap. */
      max_client_requests: num(z.number().int().min(0)).default(1024),
      /**
       * Load balancers and proxies (addresses or CIDR blocks) whose `X-Forwarded-For` is believed:
       * a request from one of them is the client's its header names (the right-most address not
       * itself listed), for the audit row and `max_client_requests`. Empty: the socket's peer.
       */
      trusted_proxies: z.array(proxyEntry).default([]),
    })
    .prefault({}),
  /** Log lines on stderr; read at start (a change takes effect at the next restart). */
  log: z
    .strictObject({ format: z.enum(LOG_FORMATS).default("text"), level: z.enum(LOG_LEVELS).default("info") })
    .prefault({}),
  /** Prometheus metrics; read at start (a change takes effect at the next restart). */
  metrics: z
    .strictObject({
      /** `GET /metrics` on the main listener, for admin-role credentials. */
      enabled: bool().default(true),
      /** Also serve `/metrics` without a credential on this `host:port`, for scrapers that hold no key. */
      listen: z
        .string()
        .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "host:port, e.g. 127.0.0.1:9464")
        .optional(),
    })
    .prefault({}),
  storage: z
    .strictObject({
      driver: z.enum(["sqlite", "postgres"]).default("sqlite"),
      path: z.string().default("./data/mindgw.db"),
      /** PostgreSQL connection URL (`driver: postgres`); several nodes share it. */
      url: z.string().optional(),
      /** PostgreSQL: connections per node. */
      pool: num(z.number().int().min(1).max(1000)).default(10),
      /** PostgreSQL: the longest any one statement may run before the server cancels it. */
      statement_timeout: duration("30s"),
      /** PostgreSQL: how long opening a connection may take before the store counts as down. */
      connect_timeout: duration("5s"),
      /** PostgreSQL TLS, as libpq's `sslmode`; a `sslmode` in the URL wins. */
      sslmode: z.enum(["disable", "prefer", "require", "verify-ca", "verify-full"]).default("prefer"),
      /** PostgreSQL: PEM file of the CA(s) that sign the server's certificate (verify-ca, verify-full); the URL's `sslrootcert` wins. */
      sslrootcert: z.string().min(1).optional(),
      /** Stored Responses API answers (`previous_response_id` chains) older than this are deleted. */
      responses_retention: duration("30d"),
    })
    .prefault({}),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]),
  routing: z
    .strictObject({
      /** Attempts per route after the first, before failing over to the next route. */
      retries: num(z.number().int().min(0).max(10)).default(1),
      backoff: duration("100ms"),
      timeouts: timeoutsSchema.prefault({}),
      circuit_breaker: z
        .strictObject({ failures: num(z.number().int().min(1)).default(5), cooldown: duration("30s") })
        .prefault({}),
      /**
       * Longest event-stream line accepted from an upstream before the stream is cut. At least
       * 64KB: a line is one event, and a Responses stream's first events repeat the request's
       * instructions and tools, its last the whole answer (at 0, any line that came in two reads
       * cut its stream).
       */
      max_sse_line: size("1MB", 64 * 1024),
      /**
       * Largest whole (non-stream) upstream answer read; a larger one is a 502, never buffered.
       * At least 64KB: a long answer, or one embedding of a few thousand floats, is tens of KB (at
       * 0, every answer was a 502).
       */
      max_upstream_body: size("32MB", 64 * 1024),
      /**
       * A stream whose first token takes longer than this is committed (200, event stream) and
       * kept alive with an SSE comment this often, so proxies in between do not time it out; a
       * routing failure after that is the stream's closing error event. 0: wait silently.
       */
      stream_keepalive: duration("15s"),
    })
    .prefault({}),
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
  events: z
    .strictObject({
      webhooks: z
        .array(
          z.strictObject({
            url: configUrl({ protocol: /^https?$/ }),
            /** HMAC-SHA256 key for `x-mindgw-signature`. */
            secret: z.string().min(16, "at least 16 characters"),
            /** Event types to send (`request.finished`, `worker.lost`, ...); all when absent. */
            types: eventTypes,
            batch_size: num(z.number().int().min(1).max(10_000)).default(100),
            flush: duration("1s"),
            max_queue: num(z.number().int().min(1)).default(10_000),
            max_queue_bytes: sinkQueueBytes,
            max_attempts: num(z.number().int().min(1).max(100)).default(5),
          }),
        )
        .default([]),
      /**
       * Append events to a Redis stream (`XADD`) on `url`, else on `cluster.redis_url`: a single
       * node (SQLite, no `cluster:`) names its Redis here.
       */
      redis_stream: z
        .strictObject({
          url: z.string().min(1).optional(),
          stream: z.string().min(1).default("mindgw:events"),
          /** Trims the stream to about this many entries. */
          max_len: num(z.number().int().min(1)).default(100_000),
          types: eventTypes,
          max_queue: num(z.number().int().min(1)).default(10_000),
          max_queue_bytes: sinkQueueBytes,
        })
        .optional(),
    })
    .prefault({}),
  /** How shadow copies (models[].shadow) run and are kept; see shadow/. */
  shadow: z
    .strictObject({
      /** Shadow calls in flight at once; a sampled request over the cap is shed (counted), never queued. */
      max_concurrent: num(z.number().int().min(1).max(10_000)).default(16),
      /** A shadow call's own bound, whole answer included; it never waits on the client's. */
      timeout: duration("60s"),
      /** The most of each answer kept with a pair (only with `audit.bodies: true`); 0: none of it. */
      max_answer: size("16KB"),
      /** Pairs older than this are deleted. */
      retention: duration("30d"),
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
      retention: duration("31d"),
      flush_ms: num(z.number().int().min(1).max(10_000)).default(100),
      fail_open: bool().default(false),
      /**
       * What the rows waiting to be written may take. A row whose bodies would take the queue past
       * it is written with each body replaced by a marker (audit-writer.ts `BODY_NOT_KEPT`); a row
       * that finds it full is dropped and counted, as past the 100,000 rows. At least 64KB.
       */
      max_queue_bytes: size(formatSize(DEFAULT_MAX_QUEUE_BYTES), 64 * 1024),
    })
    .prefault({}),
  workers: z
    .strictObject({
      enabled: bool().default(true),
      heartbeat_timeout: duration("30s"),
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
  cluster: z
    .strictObject({
      redis_url: z.string().min(1),
      /** How other nodes reach this one (forwarding); must be reachable from every node. */
      advertise_url: configUrl({ protocol: /^https?$/ }),
      /** Shared by all nodes; authenticates node-to-node calls. At least 16 characters. */
      secret: z.string().min(16, "at least 16 characters"),
      /** This node's name in the directory, logs and audit rows; defaults to host:port of advertise_url. */
      node_name: z.string().min(1).max(100).optional(),
      /** How often a node renews its directory entry; it counts as gone after three missed. */
      heartbeat: duration("1s"),
      /** A Redis call slower than this fails; that request is admitted on local counters. */
      redis_timeout: duration("2s"),
    })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = Config["providers"][number];
export type ModelConfig = Config["models"][number];
export type RouteConfig = ModelConfig["routes"][number];
export type Timeouts = z.infer<typeof timeoutsSchema>;
