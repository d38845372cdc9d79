import type { JsonObject } from "../core/dialect.ts";

/**
 * Body fields some clients (LiteLLM-style SDK wrappers) send to steer or authenticate the call
 * themselves. Neither the OpenAI nor the Anthropic API defines them, and where a request goes
 * and with which credential is the gateway's decision: they never leave the gateway.
 */
export const CLIENT_ROUTING_FIELDS = [
  "api_base",
  "base_url",
  "api_key",
  "api_version",
  "custom_llm_provider",
  "deployment_id",
] as const;

/** Removes the client routing fields from a body the caller no longer shares (mutates it). */
export function stripClientRouting(body: JsonObject): JsonObject {
  for (const field of CLIENT_ROUTING_FIELDS) if (field in body) delete body[field];
  return body;
}
