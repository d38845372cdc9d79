import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest, clientClosed, GatewayError } from "../core/gateway-error.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";

const utf8 = new TextDecoder();

const tooLarge = (max: number) =>
  new GatewayError({
    status: 413,
    code: "payload_too_large",
    message: `request body exceeds the limit of ${max} bytes`,
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
}

/**
 * As `readJsonBody`, keeping the received bytes too. The body must arrive within `deadlineMs`
 * (a 408: a client that trickles one byte at a time cannot hold a request open), and a client
 * that hangs up mid-upload is a client that left (499), not a fault of the gateway.
 */
export function readJsonRequest(
  request: Request,
  maxBytes: number,
  deadlineMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<JsonRequest> {
  // One promise settled by whichever comes first, the body or the deadline: a race against a
  // deadline promise cost three more promises and their reactions on every request.
  return new Promise<JsonRequest>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      request.body?.cancel().catch(() => {});
      reject(tooSlow(deadlineMs));
    }, deadlineMs);
    readWithin(request, maxBytes).then(
      (read) => {
        clearTimeout(timer);
        resolve(read);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (error instanceof GatewayError) reject(error);
        else reject(expired ? tooSlow(deadlineMs) : clientClosed());
      },
    );
  });
}

async function readWithin(request: Request, maxBytes: number): Promise<JsonRequest> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  // A body of declared length within the limit is read whole, natively: it cannot exceed its
  // Content-Length, and this skips a JS ReadableStream per request (a hot-path cost the
  // benchmark showed). Chunked bodies take the bounded reader below.
  if (Number.isInteger(declared) && declared > 0 && !request.headers.has("transfer-encoding")) {
    const bytes = await request.arrayBuffer();
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    // Fewer bytes than declared: the connection ended mid-upload (Bun hands back what arrived).
    if (bytes.byteLength < declared) throw clientClosed();
    const received = new Uint8Array(bytes);
    return { body: parseObject(received), bytes: received };
  }
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

function parseObject(bytes: Uint8Array): JsonObject {
  // Refused before parsing: a body nested this deep cannot be serialised again for the upstream,
  // and that failure must be the caller's 400, never a route failure that opens a breaker.
  if (nestsDeeperThan(bytes))
    throw badRequest(`request body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, "invalid_json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    throw badRequest("request body is not valid JSON", undefined, "invalid_json");
  }
  if (!isJsonObject(parsed))
    throw badRequest("request body must be a JSON object", undefined, "invalid_json");
  return parsed;
}
