import { isJsonObject } from "../core/dialect.ts";

/**
 * The model an upstream says answered, read off a body already parsed for its usage (no parse of
 * its own): OpenAI's chat, completions and embeddings answers and chunks (`model`), a Responses
 * response or the event that carries it (`response.model`), Anthropic's message (`model`) or its
 * `message_start` (`message.model`). Often not the name it was asked for: OpenAI answers
 * `gpt-4o-mini` as `gpt-4o-mini-2024-07-18`. Undefined where the body names none.
 */
export function answeredModel(body: unknown): string | undefined {
  if (!isJsonObject(body)) return undefined;
  if (typeof body.model === "string") return body.model;
  const inner = isJsonObject(body.response) ? body.response : body.message;
  return isJsonObject(inner) && typeof inner.model === "string" ? inner.model : undefined;
}
