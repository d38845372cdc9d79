import type { AbortFollower, AbortFollowers } from "../core/abort-followers.ts";
import { Deadlined, type DeadlineList, deadlineListOf } from "../core/deadline-list.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest, clientClosed, GatewayError } from "../core/gateway-error.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";

const utf8 = new TextDecoder();
const utf8Bytes = new TextEncoder();
/** U+FEFF in UTF-8: EF BB BF. */
const BYTE_ORDER_MARK_BYTES = 3;

// Both close the connection: the rest of the body is never read (kept alive, Bun would read and
// throw away all the client goes on sending to reach the socket's next request).
const tooLarge = (max: number) =>
  new GatewayError({
    status: 413,
    code: "payload_too_large",
    message: `request body exceeds the limit of ${max} bytes`,
    headers: { connection: "close" },
  });

/** `server.body_timeout`'s default: the whole body must arrive within this, however it trickles. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

const tooSlow = (ms: number) =>
  new GatewayError({
    status: 408,
    code: "invalid_request",
    message: `request body not received within ${ms} ms`,
    headers: { connection: "close" },
  });

/**
 * Reads a JSON object body without ever holding more than `maxBytes`: a declared length over
 * the limit is refused before reading, and a chunked body is cut off as soon as it passes it.
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
  deadlineMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<JsonObject> {
  return (await readJsonRequest(request, maxBytes, deadlineMs)).body;
}

/** A request's JSON object body, parsed once, with the bytes it came as (for pass-through). */
export interface JsonRequest {
  readonly body: JsonObject;
  readonly bytes: Uint8Array<ArrayBuffer>;
  /**
   * The body began with a byte-order mark that `bytes` leave out: read whole as text, which drops
   * it (a chunked read keeps it in them). The audit row puts it back (audited-request-body.ts).
   */
  readonly markLeftOut?: boolean;
}

/**
 * As `readJsonBody`, keeping the received bytes too. The body must arrive within `deadlineMs`
 * (a 408: a client that trickles one byte at a time cannot hold a request open), and a client
 * that hangs up mid-upload is a client that left (499), not a fault of the gateway. `startedMs`:
 * `performance.now()` as the caller read it in this same synchronous run (the request's arrival),
 * counted from instead of a read of its own (a read is ~70–110 ns on a virtual machine:
 * docs/BENCHMARKS-HISTORY.md, session 16). Never an older reading: the body deadlines of a delay
 * expire in the order they were added (core/deadline-list.ts). `ends`: the request's abort, already
 * among the open requests (http/request-abort.ts): the read follows it, and ends with its reason
 * when it aborts first (a stop's drain deadline: the drain's 503; a client that left: 499), as a
 * follower, with no promise or entry of its own.
 */
export function readJsonRequest(
  request: Request,
  maxBytes: number,
  deadlineMs = DEFAULT_BODY_TIMEOUT_MS,
  startedMs?: number,
  ends?: AbortFollowers,
): Promise<JsonRequest> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new BodyRead(request, maxBytes, declared, deadlineMs, startedMs, ends).promise;
}

/**
 * One body read under its deadline: a single promise settled by whichever comes first, the body
 * or the deadline (a race against a deadline promise cost three more promises and their
 * reactions), with the read's state on one object, itself an entry in the deadline list of its
 * delay (no timer of its own): no closures per request but the read's two settle handlers (three
 * for a chunked body).
 */
class BodyRead extends Deadlined implements JsonRequest, AbortFollower {
  readonly promise: Promise<JsonRequest>;
  // The read resolves with itself once these are set: no record of the two a request.
  body!: JsonObject;
  bytes!: Uint8Array<ArrayBuffer>;
  private readonly resolve: (read: JsonRequest) => void;
  private readonly reject: (reason: unknown) => void;
  private readonly deadlines: DeadlineList;
  private expired = false;

  constructor(
    private readonly request: Request,
    private readonly maxBytes: number,
    private readonly declared: number,
    private readonly deadlineMs: number,
    startedMs: number | undefined,
    private readonly ends: AbortFollowers | undefined,
  ) {
    super();
    const { promise, resolve, reject } = Promise.withResolvers<JsonRequest>();
    this.promise = promise;
    this.resolve = resolve;
    this.reject = reject;
    this.deadlines = deadlineListOf(deadlineMs);
    this.deadlines.add(this, startedMs);
    // A body of declared length within the limit is read whole, natively: it cannot exceed its
    // Content-Length, and this skips a JS ReadableStream per request (a hot-path cost the
    // benchmark showed). As text, not `bytes()`: the byte array a server request's `bytes()` (or
    // `arrayBuffer()`) hands back lives outside the JS heap, and each one, dead or not, costs the
    // next young collection (~0.13 µs a request of pause: docs/BENCHMARKS-HISTORY.md, session
    // 13's young-collection section); the text and the bytes encoded from it do not. Chunked
    // bodies take the bounded reader.
    if (Number.isInteger(declared) && declared > 0 && !request.headers.has("transfer-encoding"))
      request.text().then(this.whole, this.failed);
    else this.chunked();
    // An abort that has aborted already (a client gone before its request was made) tells no one:
    // its body is read as ever (a client's leaving fails the read; else the answer records a 499).
    ends?.follow(this);
  }

  /**
   * Whether the body began with a byte-order mark its `bytes` leave out: read whole as text, the
   * mark is dropped and only the count tells. Decoding never leaves fewer bytes than came but by
   * that mark (a malformed sequence becomes U+FFFD, as many bytes or more), so a body exactly its
   * three bytes short of `Content-Length` is taken for marked. This trusts the length to be the
   * body's, as the server's framing makes it for a request it read; a Request an embedder hands in
   * under a length not its own (a body re-serialised under the client's headers) is taken for
   * marked only if exactly three bytes short. A marked body whose malformed sequences decode
   * longer is short by less, and its mark is not put back. A chunked read keeps the mark in its
   * bytes. A getter, so a read stores nothing more.
   */
  get markLeftOut(): boolean {
    return this.declared - this.bytes.byteLength === BYTE_ORDER_MARK_BYTES;
  }

  /** A body without a declared length: read through the bounded reader (its closure made only here). */
  private chunked(): void {
    readChunked(this.request, this.maxBytes).then((read) => this.settle(read.body, read.bytes), this.failed);
  }

  /** The deadline passed first: a 408, and the body's upload is cancelled. */
  override expire(): void {
    this.expired = true;
    this.ends?.unfollow(this);
    this.request.body?.cancel().catch(() => {});
    this.reject(tooSlow(this.deadlineMs));
  }

  /**
   * The request's abort ended it while the body uploads: a stop's drain deadline (its 503, as any
   * call whose answer has not begun), or its client left (499). The upload is cancelled.
   */
  handleEvent(): void {
    this.deadlines.remove(this);
    this.request.body?.cancel().catch(() => {});
    const reason = this.ends?.reason;
    this.reject(reason instanceof GatewayError ? reason : clientClosed());
  }

  // Bound methods rather than arrow fields: an arrow field closes over a scope object made for
  // each instance; a bound function does not.
  private readonly whole = this.wholeIn.bind(this);
  private readonly failed = this.failedWith.bind(this);

  private wholeIn(text: string): void {
    try {
      // The bytes as received for a UTF-8 body (what a client sends: JSON is UTF-8); a leading
      // byte-order mark is left out and a malformed sequence arrives as U+FFFD, as the parse reads
      // them anyway. A client that hangs up mid-upload makes `text()` reject (a 499 below).
      const bytes = utf8Bytes.encode(text);
      if (bytes.byteLength > this.maxBytes) throw tooLarge(this.maxBytes);
      this.settle(parseObject(bytes, text), bytes);
    } catch (error) {
      this.failed(error);
    }
  }

  /** The body is in, parsed (a method: only the rarer chunked read makes a closure for it). */
  private settle(body: JsonObject, bytes: Uint8Array<ArrayBuffer>): void {
    this.deadlines.remove(this);
    this.ends?.unfollow(this);
    this.body = body;
    this.bytes = bytes;
    this.resolve(this);
  }

  /** A client that hangs up mid-upload is a client that left (499), not a fault of the gateway. */
  private failedWith(error: unknown): void {
    this.deadlines.remove(this);
    this.ends?.unfollow(this);
    if (error instanceof GatewayError) this.reject(error);
    else this.reject(this.expired ? tooSlow(this.deadlineMs) : clientClosed());
  }
}

async function readChunked(request: Request, maxBytes: number): Promise<JsonRequest> {
  if (!request.body)
    throw badRequest("request body is empty; expected a JSON object", undefined, "invalid_json");
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const received = Buffer.concat(chunks);
  return { body: parseObject(received), bytes: received };
}

/** `text`: the body already decoded (else decoded here). */
function parseObject(bytes: Uint8Array, text?: string): JsonObject {
  // Refused before parsing: a body nested this deep cannot be serialised again for the upstream,
  // and that failure must be the caller's 400, never a route failure that opens a breaker.
  if (nestsDeeperThan(bytes))
    throw badRequest(`request body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, "invalid_json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? utf8.decode(bytes));
  } catch {
    throw badRequest("request body is not valid JSON", undefined, "invalid_json");
  }
  if (!isJsonObject(parsed))
    throw badRequest("request body must be a JSON object", undefined, "invalid_json");
  return parsed;
}
