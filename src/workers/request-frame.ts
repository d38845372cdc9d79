import { AsciiCache, AsciiFields, asciiSize, writeAscii } from "./ascii-text.ts";
import { readU32, writeU32 } from "./big-endian.ts";
import { type RequestFrame, UpstreamPath } from "./protocol.ts";

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
 * The bytes of a request frame up to its body (kind, id, flags, window, texts), or -1 when this
 * request cannot go in one (the JSON frame takes it).
 */
export function requestHeadSize(request: PlainRequest): number {
  const { requestId, path, model = "", traceparent = "" } = request;
  // Each text on its own, not gathered in an array: a frame is written for every request.
  const idBytes = asciiSize(requestId);
  const pathBytes = asciiSize(path);
  const modelBytes = asciiSize(model);
  const traceBytes = asciiSize(traceparent);
  if (idBytes < 0 || pathBytes < 0 || modelBytes < 0 || traceBytes < 0 || !PATHS.has(path)) return -1;
  return FIXED_BYTES + idBytes + pathBytes + modelBytes + traceBytes;
}

/**
 * Writes a request frame's head (`requestHeadSize` bytes, which accepted it) at `at` of `out`;
 * returns where the body starts. A writer frames a queued request in place with it, inside its
 * batch (batch-frame.ts), rather than in a head of its own first.
 */
export function writeRequestHead(out: Uint8Array, at: number, request: PlainRequest): number {
  out[at] = REQUEST_KIND;
  writeU32(out, at + 1, request.id);
  out[at + 5] = request.stream ? STREAM : 0;
  writeU32(out, at + 6, request.window);
  let next = writeAscii(out, at + FIXED_BYTES, request.requestId);
  next = writeAscii(out, next, request.path);
  next = writeAscii(out, next, request.model ?? "");
  return writeAscii(out, next, request.traceparent ?? "");
}

/**
 * The frame, or undefined when this request cannot go in one (the JSON frame takes it). `body`:
 * the client's bytes as received (copied in as they are), or its text (a peer link's frame).
 */
export function encodeRequestFrame(
  request: PlainRequest,
  body: string | Uint8Array,
): Uint8Array<ArrayBuffer> | undefined {
  const headBytes = requestHeadSize(request);
  if (headBytes < 0) return undefined;
  const bodyBytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  const frame = new Uint8Array(headBytes + bodyBytes);
  const bodyAt = writeRequestHead(frame, 0, request);
  if (typeof body === "string") encoder.encodeInto(body, frame.subarray(bodyAt));
  else frame.set(body, bodyAt);
  return frame;
}

/**
 * A request frame not yet written: its fields and the client's bytes, framed where the writer
 * writes it (frame-writer.ts), its head beside the body: the bytes are copied once, there, not
 * first into a frame of their own (a prompt can be tens of KB, copied on the gateway's event
 * loop), and the head makes no array of its own. `headBytes`: its `requestHeadSize`.
 */
export interface QueuedRequest extends PlainRequest {
  readonly headBytes: number;
  readonly bytes: Uint8Array;
}

/** A request and the client's bytes as the writer queues them; undefined when it cannot go in one frame. */
export function queuedRequest(request: PlainRequest, body: Uint8Array): QueuedRequest | undefined {
  const headBytes = requestHeadSize(request);
  if (headBytes < 0) return undefined;
  const { id, requestId, path, stream, window, traceparent, model } = request;
  return { id, requestId, path, stream, window, traceparent, model, headBytes, bytes: body };
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
