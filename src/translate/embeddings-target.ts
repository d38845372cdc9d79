import type { JsonObject } from "../core/dialect.ts";
import type { Dropped } from "./dropped.ts";
import { type EmbeddingsAsk, readEmbeddingsAsk } from "./openai-embeddings.ts";
import { nameUncarriedFields } from "./uncarried-fields.ts";

/**
 * What another vendor's embeddings API can take of an OpenAI embeddings request, declared by the
 * provider that translates to it in its own `call` (Bedrock, the Gemini API and Vertex AI, the
 * mock). `nameUncarriedEmbeddings` holds a request against it, as `nameUncarried` holds a chat
 * request against a `ChatTarget`: what is lost is named in `x-mindgw-dropped` and the audit row,
 * or refused under `translation.unsupported: reject`.
 */
export interface EmbeddingsTarget {
  /**
   * The top-level fields carried for `upstreamModel` (a vendor's own field the OpenAI body may
   * carry for it, `task_type`, `input_type`, included): a list made once, asked on every call.
   * Throws `unsupported_operation` for a model the vendor cannot embed with.
   */
  carries(upstreamModel: string): readonly string[];
}

/**
 * What every target carries: the texts, the vector's length where the model can shorten it, and
 * the encoding (the gateway writes `base64` itself). `stream` asks nothing of an embeddings call,
 * whose answer is whole either way.
 */
export const CARRIED_BY_EVERY_EMBEDDINGS_TARGET = [
  "model",
  "input",
  "dimensions",
  "encoding_format",
  "stream",
] as const;

/** Null, `{}` and `[]` ask for nothing; no other value of a field does. */
const NO_DEFAULTS: JsonObject = {};

/**
 * Names (or, under `reject`, refuses) each top-level field of `body` the target does not carry for
 * `upstreamModel` — `user`, OpenAI's own, among them — once `body` is read as the provider will
 * read it: what no vendor can take (token ids, an empty list) is the caller's 400 before any
 * upstream is called, and a model the target cannot embed with passes the route over. Returns the
 * request as read, which the provider is handed (`ProviderCall.embeddingsAsk`) rather than read
 * the batch again.
 */
export function nameUncarriedEmbeddings(
  body: JsonObject,
  target: EmbeddingsTarget,
  upstreamModel: string,
  provider: string,
  dropped: Dropped,
): EmbeddingsAsk {
  const carried = target.carries(upstreamModel);
  const ask = readEmbeddingsAsk(body, provider);
  nameUncarriedFields(body, carried, NO_DEFAULTS, dropped);
  return ask;
}
