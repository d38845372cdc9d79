import type { JsonObject } from "../core/dialect.ts";
import type { Dropped } from "../translate/dropped.ts";
import { type EmbeddingsTarget, nameUncarriedEmbeddings } from "../translate/embeddings-target.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { sameDialect } from "./same-dialect-call.ts";
import type { Target } from "./translated-chat.ts";

/**
 * An embeddings call to a provider that translates it to its vendor's API in its own `call`
 * (`Provider.embeddingsTarget`, `embeddings`): what that API cannot carry is named in `dropped` (or
 * refused) here, before any attempt, as for a chat call (translated-chat.ts); the body goes on
 * untouched, and the request as read goes with it (`embeddingsAsk`), so the provider reads the
 * batch no second time.
 */
export function translatedEmbeddings(
  body: JsonObject,
  target: EmbeddingsTarget,
  { provider, upstreamModel }: Target,
  dropped: Dropped,
): AdaptedCall {
  const embeddingsAsk = nameUncarriedEmbeddings(body, target, upstreamModel, provider.name, dropped);
  return { ...sameDialect("embeddings", body, provider), dropped: dropped.list, embeddingsAsk };
}
