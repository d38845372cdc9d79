import type { AuditAttempt } from "./audit-attempt.ts";

/** Where a request entered the gateway. */
export const FRONT_DOORS = [
  "chat",
  "completions",
  "embeddings",
  "responses",
  /** Reads and deletes of stored Responses API answers (`/v1/responses/{id}`, its `input_items`): no model call. */
  "stored_responses",
  /** The upgrade of a Responses WebSocket connection (status 101); each of its turns is a `responses` row. */
  "responses_socket",
  "messages",
  "count_tokens",
  "models",
  "admin",
  "workers",
  "other",
] as const;

export type FrontDoor = (typeof FRONT_DOORS)[number];

/**
 * The classes of a final status, as the audit filters, the stores' queries and the TUI read them,
 * with the statuses each holds. `1xx` holds a WebSocket's accepted upgrade (101, the row of a
 * Responses WebSocket connection), which is no 2xx answer.
 */
export const STATUS_CLASS_BOUNDS = {
  "1xx": [100, 199],
  "2xx": [200, 299],
  "3xx": [300, 399],
  "4xx": [400, 499],
  "5xx": [500, 599],
} as const;

export type StatusClass = keyof typeof STATUS_CLASS_BOUNDS;

export const STATUS_CLASSES = Object.keys(STATUS_CLASS_BOUNDS) as [StatusClass, ...StatusClass[]];

export const statusClassOf = (status: number): StatusClass =>
  status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : status >= 200 ? "2xx" : "1xx";

/** Whether a filter's text names a status class (`4xx`), as against an exact status. */
export const isStatusClass = (text: string): text is StatusClass => Object.hasOwn(STATUS_CLASS_BOUNDS, text);

/**
 * One row per request that reached the gateway, authorised or not. Never holds a raw key,
 * a key hash or a JWT: `keyId`/`keyName` identify the caller.
 */
export interface AuditRecord {
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  startedAt: number;
  keyId: string | null;
  keyName: string | null;
  tenant: string | null;
  role: string | null;
  frontDoor: FrontDoor;
  /** The model the client asked for. */
  model: string | null;
  /** `provider:<name>` or `worker:<name>`; null when no route was tried. */
  route: string | null;
  upstreamModel: string | null;
  status: number;
  /** GatewayError code, or `worker_lost`, `client_closed`; null on success. */
  errorClass: string | null;
  stream: boolean;
  latencyMs: number;
  /** Time to the first byte sent to the client; null when nothing was sent. */
  ttfbMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  clientIp: string | null;
  userAgent: string | null;
  /** Why the request failed, as the client was told (bounded, secrets redacted); absent on success. */
  errorMessage?: string | null;
  /** What translation left out, comma-separated names (as in `x-mindgw-dropped`). */
  dropped?: string | null;
  /** Every upstream attempt in order (retries and failover), at most MAX_AUDIT_ATTEMPTS; absent when none was made. */
  attempts?: readonly AuditAttempt[] | null;
  /** On a cluster node: the node that took the request (and writes this row); absent on one node. */
  node?: string | null;
  /**
   * On a cluster node: the node whose provider or worker answered — this node, or the one a
   * request was forwarded to; absent when no route was tried.
   */
  servedNode?: string | null;
  /** The app (`apps:`) whose front door took the request (or under whose path no route did); absent for the root's. */
  app?: string | null;
  /** Only with `audit.bodies: true`, after the redaction hook. */
  requestBody?: string | null;
  responseBody?: string | null;
}

/** When a request finished, in epoch ms: its start plus its latency (what its row says). */
export const finishedAt = (record: Pick<AuditRecord, "startedAt" | "latencyMs">): number =>
  Math.round(record.startedAt + record.latencyMs);
