/**
 * One request's telemetry as the gateway makes it, for the tracing benches (trace-loop.ts,
 * trace-micro.ts, trace-floor.ts): the ledger a request starts with, one upstream attempt settled
 * and closed, and the finished audit record, through observeRequest as the observer does.
 */
import type { AuditRecord } from "../src/audit/audit-record.ts";
import type { RequestLedger } from "../src/http/request-ledger.ts";
import { observeRequest, type RequestTelemetryDeps } from "../src/telemetry/request-telemetry.ts";

/** The shapes the observer hands over: a request's finished audit record. */
const record = {
  frontDoor: "chat",
  model: "m",
  upstreamModel: "m",
  route: "provider:fake",
  status: 200,
  latencyMs: 12,
  ttfbMs: 5,
  inputTokens: 10,
  outputTokens: 20,
  costUsd: 0.0001,
  keyName: "bench",
  tenant: null,
  errorClass: null,
} as unknown as AuditRecord;
/** A stream's record: its time to first token measured to the µs, as the ledger rounds it. */
const streamRecord = { ...record, stream: true, latencyMs: 48.213, ttfbMs: 3.217 } as unknown as AuditRecord;
const info = { route: "provider:fake", dialect: "openai", upstreamModel: "m", retry: 0, failover: false };
/** Where the upstream call's `traceparent` is written, as the lean client writes its request head. */
const head = Buffer.alloc(64) as Buffer & { latin1Write(text: string, offset: number): number };

/**
 * Request `i`'s telemetry, start to end; true when its upstream call got a `traceparent`.
 * `stream`: a streamed request's (the ledger's flag, the record's stream fields).
 */
export function tracedRequest(i: number, deps: RequestTelemetryDeps, stream = false): boolean {
  const ledger = {
    frontDoor: "chat",
    model: "m",
    startedAt: Date.now(),
    // As the gateway makes them (request-id.ts): 36 characters, one per request.
    requestId: `req_${i.toString(16).padStart(32, "0")}`,
    stream,
    traceparent: null,
  } as unknown as RequestLedger;
  const telemetry = observeRequest(ledger, deps);
  const attempt = telemetry.attempt(info, performance.now());
  const traceparent = attempt.headers?.traceparent;
  // Read as the upstream client reads it (encode-request.ts writes each header's text into its
  // request bytes): a value made as a rope is joined here, as it is in the gateway.
  if (traceparent !== undefined) head.latin1Write(traceparent, 0);
  const sent = traceparent !== undefined;
  attempt.settled(undefined, undefined, performance.now());
  attempt.closed();
  telemetry.finish(stream ? streamRecord : record);
  return sent;
}
