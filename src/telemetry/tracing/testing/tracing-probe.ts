/**
 * For start-tracing.test.ts, in a process of its own (sdk-node registers itself globally, once per
 * process): starts tracing from this process's environment as `mindgw serve` does, makes one
 * request's spans (a server span and one upstream attempt), flushes, and prints what it saw.
 */
import type { AuditRecord } from "../../../audit/audit-record.ts";
import type { RequestLedger } from "../../../http/request-ledger.ts";
import type { Logger } from "../../../log/logger.ts";
import { BatchTracer } from "../batch-tracer.ts";
import { requestTraces } from "../request-trace.ts";
import { startTracing } from "../start-tracing.ts";
import { ledgerClock } from "./ledger-clock.ts";

/** What startTracing said, printed with the rest. */
const logs: { level: string; message: string; fields?: unknown }[] = [];
const said =
  (level: string) =>
  (message: string, fields?: unknown): void => {
    logs.push({ level, message, ...(fields === undefined ? {} : { fields }) });
  };
const logger: Logger = { debug: said("debug"), info: said("info"), warn: said("warn"), error: said("error") };
const tracing = await startTracing("tracing-probe", logger);
if (!tracing) throw new Error("tracing did not start");
const ledger = {
  frontDoor: "chat",
  model: "m",
  startedAt: Date.now(),
  ...ledgerClock(),
  requestId: "probe-1",
  stream: false,
  traceparent: null,
} as unknown as RequestLedger;
const trace = requestTraces(tracing.tracer, undefined).start(ledger, undefined);
const attempt = trace.attempt(
  { route: "provider:a", vendor: "openai", upstreamModel: "up", retry: 0, failover: false },
  performance.now(),
);
attempt.settled(undefined, "provider:a", performance.now());
attempt.closed(undefined);
trace.finish({
  status: 200,
  upstreamModel: "up",
  inputTokens: 1,
  outputTokens: 2,
  route: "provider:a",
  keyName: null,
  tenant: null,
  ttfbMs: 3,
  costUsd: 0,
  errorClass: null,
} as unknown as AuditRecord);
await tracing.shutdown();
console.log(
  JSON.stringify({
    direct: tracing.tracer instanceof BatchTracer,
    traceparent: attempt.traceparent === undefined ? null : String(attempt.traceparent),
    logs,
  }),
);
