import { MAX_TRACESTATE_LENGTH } from "../core/tracestate.ts";
import {
  GatewayFrame,
  HEADER_VALUE,
  MAX_SERVED_BY,
  type ParseResult,
  parseFrame,
  UpstreamPath,
  WorkerFrame,
} from "./protocol.ts";

/**
 * The frames every request crosses the tunnel with (a request, its head and end, credit,
 * cancel), checked without zod when they plainly have their schema's shape — stricter than the
 * schema, never looser: anything else goes to the schema, which decides and words the problem.
 * A zod parse costs several microseconds a frame and builds a copy of it only to be dropped.
 */
export function readWorkerFrame(value: unknown): ParseResult<WorkerFrame> {
  const frame = plainWorkerFrame(value);
  return frame ? { ok: true, frame } : parseFrame(WorkerFrame, value);
}

/** The same for frames the gateway sends a worker. */
export function readGatewayFrame(value: unknown): ParseResult<GatewayFrame> {
  const frame = plainGatewayFrame(value);
  return frame ? { ok: true, frame } : parseFrame(GatewayFrame, value);
}

type Plain = Record<string, unknown>;
const ID = /^[0-9]{1,10}$/;
const UPSTREAM_PATHS: ReadonlySet<unknown> = new Set(UpstreamPath.options);

const isObject = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown) => typeof v === "string" && ID.test(v);
const isText = (v: unknown, max: number) => typeof v === "string" && v.length <= max;
/** A head's field as its schema takes it: a header value (protocol.ts HEADER_VALUE) of at most `max`. */
const isHeaderText = (v: unknown, max: number) => isText(v, max) && HEADER_VALUE.test(v as string);
const isPositive = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;

function plainWorkerFrame(v: unknown): WorkerFrame | undefined {
  if (!isObject(v) || !isId(v.id)) return undefined;
  if (v.type === "end") return v as WorkerFrame;
  if (v.type !== "head") return undefined;
  const { status, contentType, retryAfter } = v;
  // A failure's other retry headers (`retry`) go to the schema.
  const plain =
    v.retry === undefined &&
    Number.isSafeInteger(status) &&
    (status as number) >= 200 &&
    (status as number) <= 599 &&
    isHeaderText(contentType, 256) &&
    (retryAfter === undefined || isHeaderText(retryAfter, 64)) &&
    (v.servedBy === undefined || isHeaderText(v.servedBy, MAX_SERVED_BY));
  return plain ? (v as WorkerFrame) : undefined;
}

function plainGatewayFrame(v: unknown): GatewayFrame | undefined {
  if (!isObject(v) || !isId(v.id)) return undefined;
  if (v.type === "cancel") return v as GatewayFrame;
  if (v.type === "credit") return isPositive(v.bytes) ? (v as GatewayFrame) : undefined;
  if (v.type !== "request") return undefined;
  // The common request: a POST to an upstream path; methods, headers and queries go to the schema.
  const plain =
    typeof v.requestId === "string" &&
    v.method === undefined &&
    UPSTREAM_PATHS.has(v.path) &&
    isObject(v.body) &&
    (v.bodyText === undefined || typeof v.bodyText === "string") &&
    typeof v.stream === "boolean" &&
    isPositive(v.window) &&
    (v.traceparent === undefined || isText(v.traceparent, 128)) &&
    (v.tracestate === undefined || isText(v.tracestate, MAX_TRACESTATE_LENGTH)) &&
    v.headers === undefined &&
    v.query === undefined;
  return plain ? (v as GatewayFrame) : undefined;
}
