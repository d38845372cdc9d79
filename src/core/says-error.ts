import { isJsonObject } from "./dialect.ts";

/**
 * Whether a decoded answer, event or chunk says an error of its own: a top-level `error` that is
 * truthy, as the official OpenAI SDK reads a chunk (openai/core/streaming.js: `if (data &&
 * data.error)` throws): an object (OpenAI's `{"error": {…}}` chunk, OpenRouter's after its `id`),
 * words not empty (TGI's `{"error": "…", "error_type": …}`), `true`, a number not zero, a list
 * (even empty). `"error": null`, `false`, `""` or `0` is none: some OpenAI-compatible servers send
 * one on every chunk of a good answer; nor is an `error` deeper in (Azure's
 * `content_filter_results: {"error": {…}}` when its filter is down). The one reading of every
 * reader of a chat stream (the byte relay's, routing/relay-event-checks.ts, says the same of an
 * event's bytes), a translation's (chat-chunk-reader.ts) and a captured stream's fold.
 */
export function saysError(body: unknown): boolean {
  return isJsonObject(body) && Boolean(body.error);
}
