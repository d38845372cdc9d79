import { AsciiCache, AsciiFields, asciiSize, writeAscii } from "./ascii-text.ts";
import type { FrameParts } from "./batch-frame.ts";
import { readU32, writeU32 } from "./big-endian.ts";
import { type GatewayFrame, UpstreamPath } from "./protocol.ts";

/**
 * The common request frame in binary (docs/worker-protocol.md, "Binary request frame"), sent only
 * to a worker that announced `binaryRequests`: a POST to an upstream path with the client's body
 * text, no headers, query or method. Its fields at fixed places or behind a 1-byte length, then
 * the body as the client sent it: nothing is JSON-written by the gateway nor parsed by the
 * worker, which hands the body's bytes to the upstream as they are. Any other request (or one
 * whose texts are not short printable ASCII) goes as JSON text.
 */
export const REQUEST_KIND = 3;
const STREAM = 1;
/** Kind, id, flags, window. */
const FIXED_BYTES = 10;

type RequestFrame = Extract<GatewayFrame, { type: "request" }>;

/** What a binary request frame carries besides the body. */
export interface PlainRequest {
  id: number;
  requestId: string;
  path: string;
  stream: boolean;
  window: number;
  traceparent?: string | undefined;
  model?: string | undefined;
}

const PATHS: ReadonlySet<string> = new Set(UpstreamPath.options);
const encoder = new TextEncoder();

/**
 * The frame up to its body, in an array with room for `bodyBytes` more at its end; undefined
 * when this request cannot go in one (the JSON frame takes it).
 */
function writeHead(request: PlainRequest, bodyBytes: number): Uint8Array<ArrayBuffer> | undefined {
  const { id, requestId, path, model = "", traceparent = "" } = request;
  // Each text on its own, not gathered in an array: a frame is written for every request.
  const idBytes = asciiSize(requestId);
  const pathBytes = asciiSize(path);
  const modelBytes = asciiSize(model);
  const traceBytes = asciiSize(traceparent);
  if (idBytes < 0 || pathBytes < 0 || modelBytes < 0 || traceBytes < 0 || !PATHS.has(path)) return undefined;
  const frame = new Uint8Array(FIXED_BYTES + idBytes + pathBytes + modelBytes + traceBytes + bodyBytes);
  frame[0] = REQUEST_KIND;
  writeU32(frame, 1, id);
  frame[5] = request.stream ? STREAM : 0;
  writeU32(frame, 6, request.window);
  let at = writeAscii(frame, FIXED_BYTES, requestId);
  at = writeAscii(frame, at, path);
  at = writeAscii(frame, at, model);
  writeAscii(frame, at, traceparent);
  return frame;
}

/**
 * The frame, or undefined when this request cannot go in one (the JSON frame takes it). `body`:
 * the client's bytes as received (copied in as they are), or its text (a peer link's frame).
 */
export function encodeRequestFrame(
  request: PlainRequest,
  body: string | Uint8Array,
): Uint8Array<ArrayBuffer> | undefined {
  const bodyBytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  const frame = writeHead(request, bodyBytes);
  if (!frame) return undefined;
  const bodyAt = frame.byteLength - bodyBytes;
  if (typeof body === "string") encoder.encodeInto(body, frame.subarray(bodyAt));
  else frame.set(body, bodyAt);
  return frame;
}

/**
 * The same frame in two parts, the client's bytes behind the rest: they are copied once, where
 * the frame is written (frame-writer.ts), not first into a frame of their own (a prompt can be
 * tens of KB, copied on the gateway's event loop).
 */
export function requestFrameParts(request: PlainRequest, body: Uint8Array): FrameParts | undefined {
  const prefix = writeHead(request, 0);
  return prefix && { prefix, bytes: body };
}

/** The last path and model read: the same on most requests. */
const lastPath = new AsciiCache();
const lastModel = new AsciiCache();
/** The reader of every request frame's texts (a decode is not re-entered). */
const requestFields = new AsciiFields();
/**
 * The body the last request read carried (its model alone): the same object while the model is
 * the same, as it is on most requests, not one a request. Frozen, as every request shares it;
 * the worker reads it (a span's model) and never writes it.
 */
let lastBody: Readonly<Record<string, unknown>> = Object.freeze({});
function bodyOf(model: string): Readonly<Record<string, unknown>> {
  if (model !== (lastBody.model ?? "")) lastBody = Object.freeze(model ? { model } : {});
  return lastBody;
}

/**
 * What a request frame carries, read into an object its reader keeps (the worker session has one:
 * a request frame is read for every request). Read it before the next frame is read into it.
 */
export class RequestRead {
  /** The request as its JSON frame would say it (`body` holding the model); set by every read. */
  request!: RequestFrame;
  /** The client's bytes: a view into the frame, not a copy. */
  body: Uint8Array<ArrayBuffer> = new Uint8Array(0);
}

/**
 * The request a frame carries and its body, read into `into` (a new one by default); a problem if
 * malformed. `start` and `end`: the frame's bounds in a batch message it is read in
 * (batch-frame.ts's `BatchReader`), the body then a view into the message.
 */
export function decodeRequestFrame(
  frame: Uint8Array,
  into: RequestRead = new RequestRead(),
  start = 0,
  end = frame.byteLength,
): RequestRead | string {
  if (end - start < FIXED_BYTES || frame[start] !== REQUEST_KIND) return "request frame cut off";
  const id = readU32(frame, start + 1);
  const flags = frame[start + 5] as number;
  const window = readU32(frame, start + 6);
  if (id === 0 || window === 0 || (flags & ~STREAM) !== 0)
    return "request frame with a bad id, window or flags";
  const fields = requestFields.over(frame, start + FIXED_BYTES, end);
  const requestId = fields.next();
  const path = requestId === undefined ? undefined : fields.next(lastPath);
  const model = path === undefined ? undefined : fields.next(lastModel);
  const traceparent = model === undefined ? undefined : fields.next();
  if (traceparent === undefined) return "request frame text cut off or not ASCII";
  if (!PATHS.has(path as string)) return `request frame path ${path}`;
  const request: RequestFrame = {
    type: "request",
    id: String(id),
    requestId: requestId as string,
    path: path as UpstreamPath,
    body: bodyOf(model as string),
    stream: (flags & STREAM) !== 0,
    window,
  };
  if (traceparent) request.traceparent = traceparent;
  into.request = request;
  // A WebSocket message's bytes: never shared memory.
  into.body = frame.subarray(fields.at, end) as Uint8Array<ArrayBuffer>;
  return into;
}
