import type { Tracer } from "@opentelemetry/api";
import type { WebSocketHandler } from "bun";
import type { AnyElysia } from "elysia";
import type { RedactBody } from "../audit/redact-body.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Policy } from "../auth/policy.ts";
import type { Config } from "../config/config-schema.ts";
import type { ConfigSource } from "../config/config-source.ts";
import type { EventSink } from "../events/event-sink.ts";
import type { Logger } from "../log/logger.ts";
import type { ProviderFactory } from "../providers/create-provider.ts";
import type { Storage } from "../storage/storage.ts";
import type { RoutedSocket } from "./gateway-websocket.ts";
import type { HandleOptions } from "./handed-request.ts";
import type { RuntimeHolder } from "./runtime.ts";

/** Where config comes from: a fixed, validated config, or a source that can change it. */
export type GatewayConfigOption =
  | {
      config: Config;
      configSource?: never;
      /** With `config`: watch this file and swap in valid edits (same as `fileConfigSource`). */
      configPath?: string;
    }
  | { configSource: ConfigSource; config?: never; configPath?: never };

/**
 * The parts of a gateway. Every one has a built-in default, the one `mindgw serve` uses; pass
 * your own to replace it. See docs/EMBEDDING.md.
 */
export type GatewayOptions = GatewayConfigOption & {
  /** Authentication for every client and admin call. Default: API keys and (when configured) JWTs. */
  auth?: Authenticator;
  /** Every store the gateway keeps, audit included. Default: what `storage.driver` names. */
  storage?: Storage;
  /** Where gateway events go besides the in-process bus (`/admin/api/events`). Default: nowhere. */
  events?: readonly EventSink[];
  /** Limits and budgets, consulted before and after every model call. Default: per-key rpm, tpm, budgets. */
  policy?: Policy;
  /**
   * How long your `auth` and your `policy`'s `admit` may take for one request, in ms (default 10 s;
   * a positive, finite number, else `createGateway` rejects): past it the request is answered 503
   * `unavailable` naming the plug-in, its slot given back, and a warning logged (once, then at most
   * every 30 s); what the plug-in answers later is dropped, and it is not told. Only your own call
   * is timed: not the gateway's reads around it, nor the built-in authenticator and policy.
   */
  pluginTimeoutMs?: number;
  /**
   * Builds providers from config. For a provider of your own, declare it with a built-in `type`
   * (`mock` needs no URL or key) and return yours for its `name`, else `createProvider`'s
   * (docs/EMBEDDING.md §2): the config accepts built-in types only.
   */
  providers?: ProviderFactory;
  /** Default: text lines on stderr. */
  logger?: Logger;
  /**
   * Where spans go (`startTracing()` in telemetry/tracing, or an embedder's own tracer);
   * without it no span is made. `captureContent` puts prompts and answers on spans.
   */
  tracing?: { readonly tracer: Tracer; readonly captureContent?: boolean };
  /** @deprecated use `providers` */
  providerFactory?: ProviderFactory;
  /** @deprecated use `auth` */
  authenticate?: Authenticator;
  /**
   * False leaves audit rows unwritten (events still flow): for embedders that keep their own
   * record, and for the benchmark that measures what auditing costs. `mindgw serve` never sets it.
   */
  recordAudit?: boolean;
  /** Applied to bodies stored with `audit.bodies: true`; the default removes credentials. */
  redactBody?: RedactBody;
  /**
   * The folder where a stop first saves audit rows its storage never took (NDJSON, for `mindgw
   * audit import`). Without it: beside the built-in SQLite database, or with your own `storage`
   * the working directory; then the system's temp directory. Made at start where it is missing
   * (mode 0700); one that cannot be made or written to rejects `createGateway`.
   */
  auditSpillDir?: string;
  /**
   * Receives the one-time admin key created on first start with an empty key store. Without it no
   * such key is created (nobody would see it), and a warning says so. What it returns is awaited
   * (typed `unknown` so a `(key) => keys.push(key)` still fits): the key admits nobody until an
   * async receiver's promise fulfils, and one that rejects fails the start as a throw does (the key
   * revoked, the next start makes another).
   */
  onBootstrapKey?: (plainKey: string) => unknown;
  /**
   * When that key is created: while the gateway is built (default), or only when
   * `gateway.bootstrapAdmin()` is called (`"on-call"`). `mindgw serve` calls it once it listens,
   * so a start that cannot bind its port leaves the store empty for the start that can.
   */
  bootstrapAdmin?: "at-create" | "on-call";
};

/** A started gateway, as an embedder holds it: `createGateway`'s answer through the package. */
export interface Gateway {
  /**
   * Serves one request in-process (tests, embedding) without a socket of the gateway's; pass the
   * client's address in `options` when you know it.
   */
  handle(request: Request, options?: HandleOptions): Promise<Response>;
  /**
   * The WebSocket handlers for your `Bun.serve({ websocket: gateway.websocket, fetch })` when you
   * hand requests to `handle(request, { server })`: the worker tunnel and the Responses API's
   * WebSocket mode upgrade on your server and are served through these.
   */
  readonly websocket: WebSocketHandler<RoutedSocket>;
  /** Opens the gateway's one listener; throws if it already has one, or once stopped. */
  listen(host: string, port: number): { port: number; hostname: string };
  /**
   * Stops taking requests, lets in-flight ones finish within the drain deadline, then flushes and
   * closes every part, each even if one before it fails; rejects with an AggregateError of the
   * failures once all have run. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
  readonly storage: Storage;
  /**
   * Re-reads the config source now (SIGHUP); false without a file or when it did not change.
   * Resolves once a change it read is in force or refused (one may wait for the price catalogue).
   */
  reload(): Promise<boolean>;
  /**
   * Why the last config change was refused; null once a valid one applied (`config.lastReloadError`
   * in `/admin/api/status`). After a `reload()` that found no change, the source still says it.
   */
  lastReloadError(): string | null;
  /**
   * Restart-only fields the config source changes since start: accepted, not in effect until a
   * restart (`config.restartRequired` in `/admin/api/status`); empty when none.
   */
  restartRequired(): readonly string[];
  /**
   * Creates the one-time admin key if the key store is empty and `auth.bootstrap_admin` is on,
   * and hands it to `onBootstrapKey`; does nothing otherwise. See `bootstrapAdmin` in the options.
   */
  bootstrapAdmin(): Promise<void>;
}

/**
 * The gateway with its inside, for mindgw's own code and tests: its Elysia app and its runtime
 * snapshot, neither of which the package exports (an app's own `listen` would be a listener the
 * gateway's stop never closes).
 */
export interface BuiltGateway extends Gateway {
  readonly app: AnyElysia;
  readonly runtime: RuntimeHolder;
}
