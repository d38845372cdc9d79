import type { JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

/**
 * Refuses `stream_options` in a chat request that does not stream, as OpenAI's API does (400, its
 * words), where a translation would leave it unread and answer.
 */
export function refuseStreamOptionsWithoutStream(body: JsonObject): void {
  if (body.stream_options == null || body.stream === true) return;
  throw badRequest(
    "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    "stream_options",
  );
}
