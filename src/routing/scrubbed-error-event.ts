import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { RESPONSE_FAILED } from "../core/final-response-events.ts";
import { bodyForCallers } from "../core/for-callers.ts";
import { encodeSse, errorFieldData } from "../core/sse.ts";
import type { SseSpan } from "../core/sse-scanner.ts";
import { eventOf, textOf } from "./relay-event-checks.ts";
import type { UsageSink } from "./usage-sink.ts";

const encoder = new TextEncoder();

/**
 * An upstream's error event, relayed mid-stream as it came (routing/relay-scan.ts), as a caller
 * may read it: what it says of the gateway's upstream account, its upstreams' places and
 * credentials left out, as from a whole error body (core/for-callers.ts) — OpenAI's "(Please
 * include the request ID req_… in your message.)", Anthropic's `request_id`, which the gateway's
 * stands in for (`scrubbedRequestId`).
 * Undefined when it names none, or is no JSON object: the event then goes out as its bytes came.
 * Read only for an error event, never for the others.
 */
export function scrubbedErrorEvent(
  buf: Uint8Array,
  span: SseSpan,
  sink: Pick<UsageSink, "maxLine" | "scrubbedRequestId">,
): Uint8Array | undefined {
  const event = eventOf(buf, span, sink.maxLine);
  if (event === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(event.data);
  } catch {
    return undefined;
  }
  if (!isJsonObject(body)) return undefined;
  const scrubbed = scrubbedBody(body, event.data);
  if (scrubbed === body) return undefined;
  const requestId = sink.scrubbedRequestId;
  const told = requestId === undefined ? scrubbed : { ...scrubbed, request_id: requestId };
  return encoder.encode(encodeSse({ ...event, data: JSON.stringify(told) }));
}

/**
 * The event's body scrubbed: a Responses `response.failed` event's words are its response's
 * `error.message`; every other error event's are at its top or in its `error`.
 */
function scrubbedBody(body: JsonObject, text: string): JsonObject {
  const response = body.response;
  if (body.type !== RESPONSE_FAILED || !isJsonObject(response)) return bodyForCallers(body, text);
  const scrubbed = bodyForCallers(response, text);
  return scrubbed === response ? body : { ...body, response: scrubbed };
}

/**
 * llama.cpp's `error:` field (core/sse.ts `ERROR_FIELD`) as the OpenAI error chunk it stands for,
 * `data: {"error":…}` (core/sse.ts `errorFieldData`), scrubbed as an error event is: no client's SSE
 * reader keeps a field of that name (the OpenAI SDK would end the answer as if it were whole),
 * and every OpenAI client reads the chunk as the stream's failure.
 */
export function errorFieldChunk(buf: Uint8Array, span: SseSpan): Uint8Array {
  const data = errorFieldData(textOf(buf, span.dataStart, span.dataEnd));
  const chunk = JSON.parse(data) as JsonObject;
  const scrubbed = bodyForCallers(chunk, data);
  return encoder.encode(encodeSse({ data: scrubbed === chunk ? data : JSON.stringify(scrubbed) }));
}
