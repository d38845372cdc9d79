import { anthropicErrors } from "./anthropic-errors.ts";
import { prepareCountTokens, prepareMessages } from "./anthropic-messages.ts";
import type { ErrorDialect, Prepared } from "./fake-call.ts";
import { prepareChat } from "./openai-chat.ts";
import { prepareCompletion } from "./openai-completions.ts";
import { prepareEmbeddings } from "./openai-embeddings.ts";
import { openaiErrors } from "./openai-errors.ts";

/** One API endpoint the fake serves. */
export interface FakeRoute {
  dialect: "openai" | "anthropic";
  errors: ErrorDialect;
  prepare(body: unknown): Prepared;
}

const openai = (prepare: FakeRoute["prepare"]): FakeRoute => ({
  dialect: "openai",
  errors: openaiErrors,
  prepare,
});
const anthropic = (prepare: FakeRoute["prepare"]): FakeRoute => ({
  dialect: "anthropic",
  errors: anthropicErrors,
  prepare,
});

/** `METHOD /path` → route; `GET /v1/models` is answered separately (its shape depends on headers). */
export const ROUTES: ReadonlyMap<string, FakeRoute> = new Map([
  ["POST /v1/chat/completions", openai(prepareChat)],
  ["POST /v1/completions", openai(prepareCompletion)],
  ["POST /v1/embeddings", openai(prepareEmbeddings)],
  ["POST /v1/messages", anthropic(prepareMessages)],
  ["POST /v1/messages/count_tokens", anthropic(prepareCountTokens)],
]);

/** `GET /v1/models` in the dialect the caller speaks (Anthropic clients send `anthropic-version`). */
export function modelList(models: readonly string[], anthropicCaller: boolean): unknown {
  if (anthropicCaller) {
    const data = models.map((id) => ({
      type: "model",
      id,
      display_name: id,
      created_at: "2025-01-01T00:00:00Z",
    }));
    return { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null };
  }
  return {
    object: "list",
    data: models.map((id) => ({ id, object: "model", created: 1_735_689_600, owned_by: "fake-upstream" })),
  };
}
