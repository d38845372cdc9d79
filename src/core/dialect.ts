/** The two wire dialects the gateway speaks, on either side. */
export type Dialect = "openai" | "anthropic";

/**
 * What a client asked for. The operation fixes the dialect of the request body:
 * `messages` and `count_tokens` are Anthropic-shaped, the rest OpenAI-shaped.
 */
export type Operation = "chat" | "completions" | "embeddings" | "responses" | "messages" | "count_tokens";

export function dialectOf(operation: Operation): Dialect {
  return operation === "messages" || operation === "count_tokens" ? "anthropic" : "openai";
}

/**
 * Request headers a same-dialect upstream gets from the client: the dialect's version and beta
 * switches, which change what the upstream accepts (Claude Code's `anthropic-beta` unlocks
 * `context_management`). Nothing else passes — least of all credentials. A worker applies the
 * same list to what the tunnel carries.
 */
export const DIALECT_HEADERS: Record<Dialect, readonly string[]> = {
  openai: ["openai-beta"],
  anthropic: ["anthropic-beta", "anthropic-version"],
};

/** A call that carries none of them (most OpenAI-dialect calls): one shared record, never written. */
export const NO_DIALECT_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A parsed JSON object body. Unknown fields are kept: the gateway passes them through. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
