import { z } from "zod";
import type { GatewayEvent } from "../audit/gateway-event.ts";

/**
 * zod schemas for what `/admin/api/events` and `/admin/api/workers` send. They follow
 * src/audit/gateway-event.ts but stay lenient where a newer gateway may add values (any
 * front door string, any attempt outcome; extra fields are dropped here but kept in the raw JSON
 * `--json` prints) and where an older one sends fewer (a record's later fields are optional), so
 * that a `mindgw tail` of another release keeps working. Every field the request detail shows
 * must be named here: what is not is dropped.
 */
export const workerSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  models: z.array(z.string()),
  /** Absent to an admin in a tenant on a worker that serves every tenant: those requests are every tenant's. */
  inFlight: z.number().optional(),
  capacity: z.number(),
  labels: z.record(z.string(), z.string()),
  lastHeartbeatAt: z.number(),
  /** The tenant of the key it registered with; absent from an older gateway's summaries. */
  tenant: z.string().optional(),
  /** Absent from an older gateway's summaries. */
  draining: z.boolean().optional(),
  /** Out of rotation until then (epoch ms): its model server kept failing. The list's alone, never an event's. */
  ejectedUntil: z.number().optional(),
});

/** One upstream attempt (audit/audit-attempt.ts), read leniently: a newer gateway may say more. */
const attemptSchema = z.object({
  route: z.string(),
  upstreamModel: z.string(),
  outcome: z.string(),
  status: z.number().nullable(),
  errorClass: z.string().nullable(),
  durationMs: z.number(),
  billed: z
    .looseObject({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() })
    .optional(),
});

export const auditRecordSchema = z.object({
  requestId: z.string(),
  startedAt: z.number(),
  keyId: z.string().nullable(),
  keyName: z.string().nullable(),
  tenant: z.string().nullable(),
  role: z.string().nullable(),
  frontDoor: z.string(),
  model: z.string().nullable(),
  route: z.string().nullable(),
  upstreamModel: z.string().nullable(),
  status: z.number().int(),
  errorClass: z.string().nullable(),
  stream: z.boolean(),
  latencyMs: z.number(),
  ttfbMs: z.number().nullable(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
  clientIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  // Absent from an older gateway's records (and from a newer one's where they do not apply).
  errorMessage: z.string().nullable().optional(),
  dropped: z.string().nullable().optional(),
  attempts: z.array(attemptSchema).readonly().nullable().optional(),
  node: z.string().nullable().optional(),
  servedNode: z.string().nullable().optional(),
  app: z.string().nullable().optional(),
  requestBody: z.string().nullable().optional(),
  responseBody: z.string().nullable().optional(),
});

export type TailAttempt = z.infer<typeof attemptSchema>;

export const tailEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("request.started"),
    at: z.number(),
    requestId: z.string(),
    /** Absent from an older gateway's events. */
    keyId: z.string().nullable().optional(),
    keyName: z.string().nullable(),
    /** Absent from an older gateway's events. */
    tenant: z.string().nullable().optional(),
    model: z.string().nullable(),
    frontDoor: z.string(),
    stream: z.boolean(),
    app: z.string().optional(),
    /** Absent off a cluster, and from an older gateway's events. */
    node: z.string().optional(),
    instance: z.string().optional(),
  }),
  z.object({ type: z.literal("request.finished"), at: z.number(), record: auditRecordSchema }),
  z.object({ type: z.literal("worker.connected"), at: z.number(), worker: workerSummarySchema }),
  z.object({ type: z.literal("worker.changed"), at: z.number(), worker: workerSummarySchema }),
  z.object({ type: z.literal("worker.draining"), at: z.number(), worker: workerSummarySchema }),
  z.object({
    type: z.literal("worker.lost"),
    at: z.number(),
    worker: workerSummarySchema,
    reason: z.string(),
    /** Absent from an older gateway's events. */
    drained: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("config.reloaded"),
    at: z.number(),
    version: z.number(),
    restartRequired: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal("config.restart_required"),
    at: z.number(),
    version: z.number(),
    restartRequired: z.array(z.string()),
  }),
  z.object({ type: z.literal("config.rejected"), at: z.number(), error: z.string() }),
  z.object({
    type: z.literal("config.restored"),
    at: z.number(),
    version: z.number(),
    // Absent from an older gateway's, which sent it only with nothing left to wait for.
    restartRequired: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal("node.left"),
    at: z.number(),
    node: z.string(),
    instance: z.string().optional(),
  }),
  z.object({ type: z.literal("events.missed"), at: z.number(), count: z.number() }),
  // Said by the stream as it opens, never published (gateway-event.ts NodeUnanswered).
  z.object({ type: z.literal("node.unanswered"), at: z.number(), node: z.string() }),
]);

export const workersResponseSchema = z.object({
  workers: z.array(workerSummarySchema),
  /** The gateway's heartbeat and its timeout (`workers.heartbeat_timeout`); absent from an older gateway's. */
  heartbeatMs: z.number().positive().optional(),
  heartbeatTimeoutMs: z.number().positive().optional(),
});

export type TailEvent = z.infer<typeof tailEventSchema>;
export type TailRecord = z.infer<typeof auditRecordSchema>;
export type TailWorker = z.infer<typeof workerSummarySchema>;

// Compile-time guard: everything the gateway may send must pass our schema's type.
const _gatewayEventsFit = (event: GatewayEvent): TailEvent => event;
void _gatewayEventsFit;

/** A validated event and the JSON it came from (printed as is by `--json`). */
export interface ReceivedEvent {
  event: TailEvent;
  raw: unknown;
}

/**
 * Reads one SSE `data` payload. Unknown event types and malformed payloads give null: a
 * newer or glitching gateway must not stop the tail.
 */
export function parseTailEvent(data: string): ReceivedEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = tailEventSchema.safeParse(raw);
  return parsed.success ? { event: parsed.data, raw } : null;
}
