import { GatewayError } from "../../core/gateway-error.ts";
import { joinBytes } from "../../core/join-bytes.ts";
import { upstreamName } from "../upstream-name.ts";

/** `routing.max_upstream_body`'s default: larger than any real completion or embedding batch. */
export const DEFAULT_MAX_UPSTREAM_BODY = 32 * 1024 * 1024;
/** An error body is read for its message (and relayed as sent): this is plenty, and the rest is cut. */
export const MAX_ERROR_BODY = 256 * 1024;

/** A body over `routing.max_upstream_body`: refused, not retried (the same call brings the same answer). */
export const tooLarge = (provider: string, max: number) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} sent an answer larger than ${max} bytes (routing.max_upstream_body)`,
  });

/**
 * Reads a whole upstream body without ever holding more than `max` bytes. Over the bound, a
 * body is either refused (a 502 the caller sees; not retried: the same call would bring the
 * same answer) or, for error bodies that are only read for their message, cut at the bound.
 */
export function readBounded(
  response: Response,
  max: number,
  provider: string,
  over: "refuse" | "truncate",
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  // A declared length within the bound, on a body not decompressed on the way in (which could
  // outgrow its declared size), is read in one native call rather than chunk by chunk: the
  // common answer, so it is handed back as the native read's own promise (no async frame).
  // `response.body` is not asked for here: reading it makes Bun build the body's stream (a
  // `ReadableStream` and its source) that `bytes()` then reads through, where an unread body is
  // handed over as it is buffered; a response without a body reads as no bytes either way.
  if (declared <= max) {
    const encoding = response.headers.get("content-encoding");
    if (encoding === null || encoding === "identity") {
      try {
        return response.bytes();
      } catch (error) {
        return Promise.reject(error);
      }
    }
  }
  return readChunked(response, declared, max, provider, over);
}

async function readChunked(
  response: Response,
  declared: number,
  max: number,
  provider: string,
  over: "refuse" | "truncate",
): Promise<Uint8Array<ArrayBuffer>> {
  if (declared > max && over === "refuse") {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(provider, max);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > max) {
      reader.cancel().catch(() => {});
      if (over === "refuse") throw tooLarge(provider, max);
      chunks.push(value.subarray(0, max - total));
      total = max;
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return joinBytes(chunks, total);
}

/** An error body as text, cut at MAX_ERROR_BODY; "" when it cannot be read. */
export const readErrorText = (response: Response, provider: string): Promise<string> =>
  readBounded(response, MAX_ERROR_BODY, provider, "truncate").then(
    (bytes) => new TextDecoder().decode(bytes),
    () => "",
  );
