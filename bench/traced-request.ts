/**
 * One request's telemetry as the gateway makes it, for the tracing benches (trace-loop.ts,
 * trace-micro.ts, trace-floor.ts, trace-encode.ts): the ledger a request starts with, one upstream
 * attempt settled and closed, and the finished audit record, through observeRequest as the
 * observer does.
 * By default every request carries the same values, as earlier sessions' figures were taken.
 * `TRACE_VARY=1` in the environment gives each request changing ones, as real traffic has: its
 * tokens, cost and time to first token differ from the last request's, and its model, key and
 * route take turns among three (a table of VARIANTS made before the bench runs, so the bench
 * itself allocates nothing for them). Values that change are what the encoder's kept attribute
 * slots and the string table's last-value checks meet in a gateway (docs/BENCHMARKS-HISTORY.md,
 * session 16).
 * `TRACE_REAL_TIMES=1` dates the spans as a gateway does: the ledger's monotonic readings taken at
 * the request's start and end, as the attempt's are. By default they are 0 (so past figures stay
 * comparable), which dates every attempt span ahead of its request by the process's uptime and
 * its server span 1 µs long: times that miss the encoder's kept seconds as no gateway's do.
 * `TRACE_CALLER=1` has each request come with a caller's W3C `traceparent` (sampled, no
 * `tracestate`), whose trace its spans continue: the other shape of a traced request, the ids read
 * from the header rather than from the gateway's request id. The headers are a table of CALLERS
 * made before the bench runs, each a flat string as a request's header reads, a trace id apiece.
 */
import type { AuditRecord } from "../src/audit/audit-record.ts";
import type { Usage } from "../src/core/usage.ts";
import { freshRequestId } from "../src/http/request-id.ts";
import type { RequestLedger } from "../src/http/request-ledger.ts";
import type { AttemptAnswer, AttemptInfo } from "../src/telemetry/dispatch-telemetry.ts";
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
const info: AttemptInfo = {
  route: "provider:fake",
  vendor: "openai",
  upstreamModel: "m",
  retry: 0,
  failover: false,
};

/**
 * What the attempt's answer reported, as the router's attempt (routing/route-attempt.ts) hands it
 * to its close: the usage and model read off the answer's one parse, read again only by the span.
 */
class Answer implements AttemptAnswer {
  constructor(
    private readonly used: Usage,
    private readonly model: string,
  ) {}
  usage(): Usage {
    return this.used;
  }
  answeredModel(): string | undefined {
    return this.model;
  }
}

/** One request's values: its model (the ledger's), attempt, its answer and records. */
interface Variant {
  readonly model: string;
  readonly info: AttemptInfo;
  readonly answer: AttemptAnswer;
  readonly record: AuditRecord;
  readonly streamRecord: AuditRecord;
}

/** Enough variants that no value repeats from one request to the next, few enough to stay cached. */
const VARIANTS = 64;
const MODELS = ["m", "gpt-4o-mini", "claude-3-5-haiku-latest"];
const KEYS = ["bench", "team-a", "team-b"];
const ROUTES = ["provider:fake", "provider:second", "provider:third"];

function variant(v: number): Variant {
  const model = MODELS[v % 3] as string;
  const route = ROUTES[(v >> 1) % 3] as string;
  const changed = {
    model,
    upstreamModel: model,
    route,
    keyName: KEYS[(v >> 2) % 3],
    inputTokens: 10 + ((v * 37) % 400),
    outputTokens: 20 + ((v * 53) % 700),
    costUsd: 0.0001 + v * 0.00000731,
    ttfbMs: 5 + (v % 7),
  };
  return {
    model,
    info: { ...info, route, upstreamModel: model },
    answer: new Answer({ inputTokens: changed.inputTokens, outputTokens: changed.outputTokens }, model),
    record: { ...record, ...changed } as AuditRecord,
    streamRecord: { ...streamRecord, ...changed, ttfbMs: 3.217 + v * 0.013 } as AuditRecord,
  };
}

const same: Variant[] = [
  { model: "m", info, answer: new Answer({ inputTokens: 10, outputTokens: 20 }, "m"), record, streamRecord },
];
const variants: Variant[] =
  process.env.TRACE_VARY === "1" ? Array.from({ length: VARIANTS }, (_, v) => variant(v)) : same;
const REAL_TIMES = process.env.TRACE_REAL_TIMES === "1";

/** Enough callers' headers that no trace id repeats from one request to the next. */
const CALLERS = 64;
/** A caller's `traceparent`, version 00, sampled; flat (no rope), as `Headers.get` gives it. */
function callerTraceparent(c: number): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, "0");
  const made = `00-${hex(0x4bf92f35 + c, 8)}77b34da6a3ce929d0e0e${hex(0x4736 + c, 4)}-${hex(0x00f067aa + c, 8)}0ba902b7-01`;
  return Buffer.from(made, "latin1").toString("latin1");
}
const callers: (string | null)[] =
  process.env.TRACE_CALLER === "1" ? Array.from({ length: CALLERS }, (_, c) => callerTraceparent(c)) : [null];

/** Where the upstream call's `traceparent` is written, as the lean client writes its request head. */
const head = Buffer.alloc(64) as Buffer & { latin1Write(text: string, offset: number): number };

/**
 * Request `i`'s telemetry, start to end; true when its upstream call got a `traceparent`.
 * `stream`: a streamed request's (the ledger's flag, the record's stream fields).
 */
export function tracedRequest(i: number, deps: RequestTelemetryDeps, stream = false): boolean {
  const values = variants[i % variants.length] as Variant;
  const startedAt = Date.now();
  const ledger = {
    frontDoor: "chat",
    model: values.model,
    startedAt,
    // The ledger's own monotonic readings (request-ledger.ts), which a real ledger takes whether
    // or not it is traced: read only with TRACE_REAL_TIMES, so that by default the untraced
    // rounds cost what they did.
    startedMs: REAL_TIMES ? performance.now() : 0,
    finishedMs: 0,
    // Made as the gateway makes it (request-id.ts): one flat string of 36 characters. (A template
    // literal made a rope, which the span's request id attribute, its only reader here, flattened:
    // ~0.3 µs of the cold loop's traced cost that no gateway pays, docs/BENCHMARKS-HISTORY.md.)
    requestId: freshRequestId(startedAt),
    // The gateway's own id: its bits are the trace id (batch-request-trace.ts).
    freshId: true,
    stream,
    traceparent: callers[i % callers.length] as string | null,
    tracestate: null,
  };
  const telemetry = observeRequest(ledger as unknown as RequestLedger, deps);
  const attempt = telemetry.attempt(values.info, performance.now());
  const traceparent = attempt.traceparent;
  // Read as the upstream client reads it (encode-request.ts writes each header's text into its
  // request bytes): a span's made text, as post-json.ts makes it.
  if (traceparent !== undefined) head.latin1Write(String(traceparent), 0);
  const sent = traceparent !== undefined;
  const settledMs = performance.now();
  attempt.settled(undefined, undefined, settledMs);
  // Closed as the router closes a kept attempt (routing/route-attempt.ts `done`): with what its
  // answer reported (the span's `gen_ai.response.model` and token attributes); a whole answer at
  // its verdict's reading (try-route.ts), a stream at its end, timed by the close's own reading.
  attempt.closed(undefined, stream ? undefined : settledMs, values.answer);
  if (REAL_TIMES) ledger.finishedMs = performance.now();
  telemetry.finish(stream ? values.streamRecord : values.record);
  return sent;
}
