import type { Operation } from "../core/dialect.ts";
import type { JsonRequest } from "./read-json-body.ts";

/** `POST /v1/responses/compact`'s upstream path: a compaction answers one whole body. */
const COMPACT = "/responses/compact";

/**
 * Whether the operation may answer as an event stream. Embeddings, Anthropic's token count and a
 * Responses compaction answer one whole body in every vendor's API: there, `stream: true` is a
 * field nothing reads, never a stream asked for (else the upstream's JSON would be a stream
 * request answered whole, the route's 502 and a count towards its breaker).
 */
export const streamsAnswer = (operation: Operation, path: string | undefined): boolean =>
  operation !== "embeddings" && operation !== "count_tokens" && path !== COMPACT;

/**
 * The request as its routes get it when the operation cannot stream (`streamsAnswer`): without a
 * `stream` field the caller sent anyway. Left in, an upstream that honoured it would answer events
 * no client of the operation reads, and a strict one may refuse the field; vLLM, Ollama, llama.cpp
 * and TEI ignore it, so every route answers alike without it. Its bytes are the body serialised
 * again, as a same-dialect route sends those. A body without the field is the request as read.
 */
export function withoutStream(request: JsonRequest): JsonRequest {
  if (!("stream" in request.body)) return request;
  const { stream: _ignored, ...body } = request.body;
  return { body, bytes: encoder.encode(JSON.stringify(body)) };
}

const encoder = new TextEncoder();
