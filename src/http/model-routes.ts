import type { Operation } from "../core/dialect.ts";

/** Every model-call path and the operation it serves; apps mount the ones of their dialect. */
export const MODEL_ROUTES: readonly [string, Operation][] = [
  ["/v1/chat/completions", "chat"],
  ["/v1/completions", "completions"],
  ["/v1/embeddings", "embeddings"],
  ["/v1/responses", "responses"],
  ["/v1/messages", "messages"],
  ["/v1/messages/count_tokens", "count_tokens"],
];
