import { z } from "zod";
import { MAX_NODE_NAME } from "../config/cluster-config.ts";
import { MAX_TRACESTATE_LENGTH } from "../core/tracestate.ts";

/**
 * The worker tunnel's wire protocol, version 2 (docs/worker-protocol.md). Control frames are
 * JSON text messages with a `type`; body chunks are binary messages (chunk-frame.ts), the
 * upstream's bytes behind a 5-byte header, so the hot path has no JSON and no text decoding.
 * Within a version, fields may only be added and receivers ignore fields they do not know. A
 * capability a peer says it reads (the worker in `register`: `bodyText`, `batch`,
 * `binaryRequests`; the gateway in `registered`: `batch`, `binaryAnswers`, `announce`) may change
 * what is sent to that peer: a frame it did not say it reads (a batch, a binary request or answer
 * frame, an `announce`) is never sent to it. Anything else (a new frame sent regardless, a removed
 * field, a changed meaning) bumps `PROTOCOL_VERSION`, which the worker announces in `register`.
 */
export const PROTOCOL_VERSION = 2;

/**
 * The version a `register` states (`v`) when it is not this one, read before the rest of the frame:
 * another version's register may differ in any field but `type` and `v`, and is refused as of
 * another version, never as a malformed frame.
 */
export function otherVersion(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { type, v } = value as { type?: unknown; v?: unknown };
  return type === "register" && typeof v === "number" && v !== PROTOCOL_VERSION ? v : undefined;
}

/** Largest frame the gateway accepts from a worker; far below Bun's 16 MB default. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** A body chunk carries at most this many bytes, well inside the frame limit. */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Bytes of body a worker may send on one stream before it needs more credit. */
export const DEFAULT_STREAM_WINDOW = 256 * 1024;

/** The upstream paths a worker will call, relative to its `--upstream` base (which ends in /v1). */
export const UpstreamPath = z.enum([
  "/chat/completions",
  "/completions",
  "/embeddings",
  "/responses",
  // Sent only to a worker that announced `responses` in `apis` (so one that knows the path).
  "/responses/compact",
]);
export type UpstreamPath = z.infer<typeof UpstreamPath>;

/**
 * A stored response a worker's upstream holds (`/responses/{id}`, `…/input_items`), read with
 * `GET` or removed with `DELETE`. Sent only to a worker that announced `responses`.
 */
export const StoredResponsePath = z
  .string()
  // An id, never a dot segment (`/responses/..` would climb out once the URL is resolved).
  .regex(/^\/responses\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.~%-]{1,256}(\/input_items)?$/);

/** Every path a request frame may name. */
export const TunnelPath = z.union([UpstreamPath, StoredResponsePath]);
export type TunnelPath = z.infer<typeof TunnelPath>;

/** A request header name, as the gateway passes a client's dialect headers on (`openai-beta`). */
const headerName = z.string().regex(/^[a-z0-9-]{1,64}$/);

/** Request ids are the gateway's: decimal numbers that fit the u32 of a binary chunk header. */
const id = z.string().regex(/^[0-9]{1,10}$/);
/** A model id as `register` offers it; a worker skips a discovered id this refuses. */
export const ModelName = z.string().min(1).max(256);
/** The most models one `register` may offer. */
export const MAX_OFFERED_MODELS = 1000;
const text = (max: number) => z.string().max(max);
/**
 * Printable ASCII and tabs: what a head's fields may hold, each set as a header of the answer's
 * Response, where a line break or a NUL would throw and leave the call waiting for its timeout.
 */
export const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const headerValue = (max: number) => text(max).regex(HEADER_VALUE);

/**
 * A head frame's `retry`: the retry headers beside `Retry-After`, by their names. Names this
 * gateway does not know (a later worker's) are left out, as unknown fields of any frame are.
 */
export const RetryRest = z.object({
  "retry-after-ms": headerValue(64).optional(),
  "x-should-retry": headerValue(16).optional(),
});
export type RetryRest = z.infer<typeof RetryRest>;

/** Why a worker-side request failed before or during its answer. */
export const TunnelErrorCode = z.enum([
  "over_capacity",
  "upstream_unreachable",
  "upstream_broken",
  "draining",
  "internal",
  /**
   * Sent only on a cluster peer link (src/cluster/frame-switch.ts): the worker holding the stream
   * on the other node was lost, so the stream fails as a lost worker does (or was disconnected on
   * purpose, its key revoked: said so in the message, and by the calling node).
   */
  "worker_lost",
  /**
   * Peer link only: no worker there could take the request (`unavailable`: the one named is gone
   * or every one serving the model is busy; `no_route_available`: none serves it), refused before
   * any answer with the node's own message, as the HTTP forward refuses it.
   */
  "unavailable",
  "no_route_available",
]);
export type TunnelErrorCode = z.infer<typeof TunnelErrorCode>;

/**
 * The error codes only a cluster peer link sends: from a worker's own connection each is a
 * protocol error (worker-connection.ts), or a worker could fail its calls as lost (never counted
 * against it) or refuse them in words of its own with no `worker <name>:` before them.
 */
export const PEER_LINK_ERROR_CODES: ReadonlySet<TunnelErrorCode> = new Set([
  "worker_lost",
  "unavailable",
  "no_route_available",
]);

const heartbeat = z.object({ type: z.literal("heartbeat"), at: z.number() });

/** What `apis` (in `register` or `announce`) names for OpenAI's Responses API. */
export const RESPONSES_API = "responses";

/** Whether a worker's `apis` say its upstream serves the Responses API (unknown names are ignored). */
export const servesResponsesApi = (apis: readonly string[] | undefined): boolean =>
  apis?.includes(RESPONSES_API) === true;

/** The longest worker name (`--name`, the register frame's `name`), in UTF-16 code units (as zod counts). */
export const MAX_WORKER_NAME = 128;

/**
 * The longest `servedBy` a peer link's head carries: `worker:<name>@<node>` as a header value,
 * every byte of a letter beyond printable ASCII escaped as `%XX` (cluster/served-by-wire.ts). One
 * UTF-16 unit is at most 9 characters so (a letter of three UTF-8 bytes, as any CJK one; a pair
 * that is one four-byte letter, 12 for two); a node named by default, advertise_url's host:port,
 * is ASCII. 2,060.
 */
export const MAX_SERVED_BY = "worker:".length + 9 * (MAX_WORKER_NAME + MAX_NODE_NAME) + "@".length;

/** Frames a worker sends to the gateway. */
export const WorkerFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("register"),
    v: z.number().int(),
    /**
     * No `@`: a worker on another node is named `<name>@<node>` (route `worker:<name>@<node>`, the
     * audit's servedNode read past the first `@`), and a node's name may hold one.
     */
    name: z
      .string()
      .min(1)
      .max(MAX_WORKER_NAME)
      .refine(
        (name) => !name.includes("@"),
        "must not hold an @ (a worker on another node is named <name>@<node>)",
      ),
    version: text(64),
    models: z.array(ModelName).max(MAX_OFFERED_MODELS),
    // The bound first: a count past what a double holds exactly is too big, not "no int".
    concurrency: z.number().max(100_000).int().min(1),
    labels: z.record(text(128), text(256)).default({}),
    /**
     * What the worker's upstream serves beyond chat, completions and embeddings: `responses`
     * (OpenAI's Responses API). Names the gateway does not know are ignored.
     */
    apis: z.array(text(64)).max(32).optional(),
    /** The worker takes a request's body as the client's text (`bodyText` in request frames). */
    bodyText: z.boolean().optional(),
    /** The worker reads batch messages (batch-frame.ts): the gateway may send its frames in them. */
    batch: z.boolean().optional(),
    /** The worker reads binary request frames (request-frame.ts). */
    binaryRequests: z.boolean().optional(),
  }),
  heartbeat,
  z.object({
    type: z.literal("head"),
    id,
    status: z.number().int().min(200).max(599),
    contentType: headerValue(256),
    /** The upstream's `Retry-After`, so a 429 or 503 keeps it on its way to the client. */
    retryAfter: headerValue(64).optional(),
    /**
     * The rest of what a failure's upstream said of when, or whether, to try again, as a direct
     * route keeps it (providers/http/retry-headers.ts): `retry-after-ms`, `x-should-retry`. Absent
     * when it said neither; an older worker never sends it.
     */
    retry: RetryRest.optional(),
    /** On a cluster peer link only: the worker and node that took the stream (`worker:w1@node-b`). */
    servedBy: headerValue(MAX_SERVED_BY).optional(),
  }),
  z.object({ type: z.literal("end"), id }),
  z.object({
    type: z.literal("error"),
    id,
    code: TunnelErrorCode,
    message: text(1000),
    /**
     * Peer link only: a refusal's `Retry-After` (`unavailable`: 5 where every worker serving the
     * model drains, as on a single node), so the calling node's client is told the same; absent, 1.
     */
    retryAfter: headerValue(64).optional(),
  }),
  z.object({ type: z.literal("drain") }),
  /**
   * What the worker's upstream serves now (`register`'s `apis`, in full), on the same connection:
   * its upstream said it serves the Responses API after the worker registered (a model server that
   * was still loading). Sent only to a gateway that said it reads it (`announce` in `registered`).
   */
  z.object({ type: z.literal("announce"), apis: z.array(text(64)).max(32) }),
]);
export type WorkerFrame = z.infer<typeof WorkerFrame>;

/** Frames the gateway sends to a worker. */
export const GatewayFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("registered"),
    v: z.number().int(),
    workerId: z.string(),
    accepted: z.array(z.string()),
    refused: z.array(z.object({ model: z.string(), reason: z.string() })),
    heartbeatMs: z.number().int().positive(),
    heartbeatTimeoutMs: z.number().int().positive(),
    maxMessageBytes: z.number().int().positive(),
    /** The gateway reads batch messages (batch-frame.ts): the worker may send its frames in them. */
    batch: z.boolean().optional(),
    /** The gateway reads binary answer frames (answer-frame.ts). */
    binaryAnswers: z.boolean().optional(),
    /** The gateway reads `announce` frames: a worker tells what its upstream serves without registering again. */
    announce: z.boolean().optional(),
  }),
  z.object({ type: z.literal("rejected"), reason: z.string(), message: z.string() }),
  heartbeat,
  z.object({
    type: z.literal("request"),
    id,
    requestId: z.string(),
    /** Absent: `POST` with `body`. `GET`/`DELETE` only on a StoredResponsePath, body ignored. */
    method: z.enum(["GET", "DELETE"]).optional(),
    path: TunnelPath,
    body: z.record(z.string(), z.unknown()),
    /**
     * The body as the client sent it (JSON text, only `model` spliced in), to a worker that
     * announced `bodyText`: sent upstream as is, so the upstream gets the client's bytes; `body`
     * then holds only `model`.
     */
    bodyText: z.string().optional(),
    stream: z.boolean(),
    /** Initial credit in bytes for this stream's body chunks. */
    window: z.number().int().positive(),
    /** W3C trace context of the gateway's attempt, so the worker's span joins the trace. */
    traceparent: z.string().max(128).optional(),
    /**
     * The W3C `tracestate` beside `traceparent` (never without it), for the worker's span and its
     * upstream. Absent: none; an older worker ignores it. Never in a binary request frame: a
     * request with one goes as JSON.
     */
    tracestate: z.string().max(MAX_TRACESTATE_LENGTH).optional(),
    /** The client's dialect headers from the gateway's allow-list (`openai-beta`), for the upstream. */
    headers: z.record(headerName, text(4096)).optional(),
    /** The client's query string with its `?` (`?beta=true`), appended to the upstream URL. */
    query: z
      .string()
      .max(4096)
      .regex(/^\?[^#\s]*$/)
      .optional(),
    /**
     * On a cluster peer link only: the worker the calling node chose (its name on the node that
     * holds it). Absent: any worker there serving the body's model. Never sent to a worker.
     */
    worker: z.string().min(1).max(MAX_WORKER_NAME).optional(),
    /**
     * On a cluster peer link only: the caller's tenant; the node holding the workers gives the
     * request only to one a caller of it may use. Absent (a node from before): the default
     * tenant's workers only. Never sent to a worker.
     */
    tenant: z.string().max(256).optional(),
  }),
  z.object({ type: z.literal("credit"), id, bytes: z.number().int().positive() }),
  z.object({
    type: z.literal("cancel"),
    id,
    /**
     * On a cluster peer link only: the calling node's longest bound for the wait cut the call before
     * its first byte, so the node holding the worker judges its server's silence as for a call of its
     * own (frame-switch.ts). Absent: a hang-up, a tighter bound, or a node from before. Never sent
     * to a worker.
     */
    timedOut: z.literal(true).optional(),
  }),
]);
export type GatewayFrame = z.infer<typeof GatewayFrame>;
/** A request the gateway sends a worker (or a node another node's worker, over a peer link). */
export type RequestFrame = Extract<GatewayFrame, { type: "request" }>;

export type ParseResult<T> = { ok: true; frame: T } | { ok: false; problem: string };

/** Validates an already JSON-decoded value; `problem` names what was wrong, for the log. */
export function parseFrame<T>(schema: z.ZodType<T>, value: unknown): ParseResult<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, problem: `${where}${issue?.message ?? "invalid frame"}` };
}

/** Decodes a text frame; undefined when it is not JSON. */
export function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const encodeFrame = (frame: WorkerFrame | GatewayFrame): string => JSON.stringify(frame);

/** WebSocket close codes the tunnel uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Malformed or unknown frame, bad registration, version mismatch. */
  protocolError: 1008,
  tooBig: 1009,
  /** Replaced by a newer connection under the same worker name. */
  replaced: 4000,
  heartbeatTimeout: 4001,
} as const;
