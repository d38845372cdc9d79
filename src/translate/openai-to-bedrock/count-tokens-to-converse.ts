import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { parseBody } from "../parse-body.ts";
import { chatRequestToConverse } from "./chat-request-to-converse.ts";

/** What of a Converse request Bedrock's CountTokens reads: the rest do not change the count. */
const COUNTED = ["messages", "system", "toolConfig", "additionalModelRequestFields"] as const;

/**
 * A count_tokens call (translated to chat) → Bedrock's `CountTokens` body
 * (`POST /model/{modelId}/count-tokens`): the Converse request it would send, as `input.converse`.
 * Its `thinking` goes as written, even one the model refuses to answer with (a chat call's refusal,
 * CONVERSE_TARGET `refuseUnsent`, is not asked of a count): no doc says a count is refused for it,
 * and a count Bedrock refuses is the gateway's estimate (count-or-estimate.ts).
 */
export function chatRequestToCountTokens(body: JsonObject): JsonObject {
  const converse = chatRequestToConverse(body);
  const counted: JsonObject = {};
  for (const field of COUNTED) if (converse[field] !== undefined) counted[field] = converse[field];
  return { input: { converse: counted } };
}

const countTokensResponse = z.looseObject({ inputTokens: z.number().int().nonnegative() });

/** Bedrock's `{inputTokens}` → Anthropic's count_tokens answer. */
export function countTokensToMessages(body: unknown): JsonObject {
  return { input_tokens: parseBody(countTokensResponse, body, "upstream").inputTokens };
}
