/**
 * mindgw as a library: start the gateway from TypeScript with your own providers,
 * authentication and storage. `mindgw serve` is this same code path.
 *
 *   const gateway = await createGateway({ config: parseConfig(yamlObject), providers, auth, policy, events });
 *   gateway.listen("127.0.0.1", 8080);
 */
export type { AuditAttempt } from "./audit/audit-attempt.ts";
export type { AuditPosition } from "./audit/audit-cursor.ts";
export type { AuditFilter } from "./audit/audit-query-schema.ts";
export type { AuditRecord, FrontDoor } from "./audit/audit-record.ts";
export type { AuditRowKey } from "./audit/audit-row-key.ts";
export type { GatewayEvent, WorkerSummary } from "./audit/gateway-event.ts";
export type { PublishedRecord } from "./audit/published-record.ts";
export type { RedactBody } from "./audit/redact-body.ts";
export type { Authenticator } from "./auth/authenticate.ts";
export type { Served } from "./auth/limit-pricing.ts";
export type { ListedModels, Policy, SharedCharge } from "./auth/policy.ts";
export type { Principal, Role, TenantRules } from "./auth/principal.ts";
export { ConfigError } from "./config/config-error.ts";
export type { Config, ProviderConfig } from "./config/config-schema.ts";
export {
  type ConfigSource,
  fileConfigSource,
  openFileConfigSource,
  staticConfigSource,
} from "./config/config-source.ts";
export { loadConfigFile, parseConfig } from "./config/load-config.ts";
export { DEFAULT_ROUTE_WEIGHT, routeWeight } from "./config/model-config.ts";
export {
  type ConfigWatchHandlers,
  type InForceLater,
  REFUSED_FOR_NOW,
  type ValidSaid,
} from "./config/watch-config.ts";
export type { Dialect, JsonObject, Operation } from "./core/dialect.ts";
export {
  type ErrorCode,
  GatewayError,
  type GatewayErrorInit,
  type GatewayLimit,
  type UpstreamErrorDetail,
} from "./core/gateway-error.ts";
export type { SseEvent } from "./core/sse.ts";
export type { Usage } from "./core/usage.ts";
export type { DropListener, DropReason } from "./events/drop-log.ts";
export type { EventSink } from "./events/event-sink.ts";
export {
  createRedisStreamSink,
  type RedisStreamSink,
  type RedisStreamSinkOptions,
} from "./events/redis-stream-sink.ts";
export {
  createWebhookSink,
  type WebhookSink,
  type WebhookSinkOptions,
  type WebhookStats,
  webhookSignature,
} from "./events/webhook-sink.ts";
export type { RoutedSocket } from "./gateway/gateway-websocket.ts";
export type { HandleOptions } from "./gateway/handed-request.ts";
export { createGateway, type Gateway, type GatewayOptions } from "./gateway/public-gateway.ts";
export {
  createLogger,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from "./log/logger.ts";
export { createProvider, type ProviderContext, type ProviderFactory } from "./providers/create-provider.ts";
export type {
  AttemptTimeouts,
  ForwardRequest,
  NativeRequest,
  Provider,
  ProviderCall,
  ProviderReply,
  UsageRecorder,
} from "./providers/provider.ts";
export type { ShadowAggregate, ShadowRecord } from "./shadow/shadow-api-schema.ts";
export type { KeyLimits, KeyRecord } from "./storage/key-record.ts";
export { openSqliteStorage } from "./storage/sqlite/sqlite-storage.ts";
export type {
  AdminAction,
  AdminActionPage,
  AdminActionStore,
  AdminSessionStore,
  AuditBatchResult,
  AuditEntry,
  AuditStore,
  KeyPageFilter,
  KeyPosition,
  KeyStore,
  RefusedRow,
  ResponseChain,
  ResponseStore,
  ShadowFilter,
  ShadowStore,
  SpendChanges,
  SpendStore,
  Storage,
  StoredAdminAction,
  StoredAdminSession,
  StoredResponse,
  TenantUsage,
} from "./storage/storage.ts";
export { startTracing, type Tracing } from "./telemetry/tracing/start-tracing.ts";
