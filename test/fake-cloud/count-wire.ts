import { wordsOf } from "./embedding-wire.ts";

/**
 * The vendors' token counters, as each is called: Bedrock's CountTokens (`input.converse`, only
 * for the Claude models by their bare id) and Google's countTokens (the Gemini API's
 * `generateContentRequest`, Vertex AI's top-level `contents`). The fakes count the words of every
 * string in what they are sent, so a test can tell a vendor's count from the gateway's estimate
 * and see that system and tools were sent to be counted.
 */

/** A vendor's refusal to count. */
export class CountRefusal extends Error {}

/** The words of every string value in `value`, keys left out. */
export function wordsIn(value: unknown): number {
  if (typeof value === "string") return wordsOf(value);
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + wordsIn(item), 0);
  if (typeof value === "object" && value !== null) return wordsIn(Object.values(value));
  return 0;
}

/**
 * Bedrock's `POST /model/{modelId}/count-tokens`: a Converse request (`input.converse`) or an
 * InvokeModel body as its text (`input.invokeModel.body`).
 */
export function bedrockCount(
  model: string,
  request: { input?: { converse?: unknown; invokeModel?: { body?: unknown } } },
): object {
  // Bedrock counts for some models by their bare id: cross-region profiles and Nova are refused.
  if (!/^anthropic\.claude/.test(model))
    throw new CountRefusal("The provided model doesn't support counting tokens.");
  const invoke = request.input?.invokeModel?.body;
  if (typeof invoke === "string") return { inputTokens: wordsIn(JSON.parse(invoke)) };
  const converse = request.input?.converse;
  if (typeof converse !== "object" || converse === null)
    throw new CountRefusal("1 validation error detected: Value null at 'input' failed to satisfy constraint");
  return { inputTokens: wordsIn(converse) };
}

/** Google's `models/{model}:countTokens`: the Gemini API's body, or Vertex AI's. */
export function googleCount(model: string, vertex: boolean, request: Record<string, unknown>): object {
  if (vertex) {
    if (!Array.isArray(request.contents)) throw new CountRefusal("contents is required");
    return {
      totalTokens: wordsIn(request),
      totalBillableCharacters: JSON.stringify(request.contents).length,
    };
  }
  const whole = request.generateContentRequest as Record<string, unknown> | undefined;
  if (!whole) throw new CountRefusal("* CountTokensRequest: contents or generateContentRequest is required");
  if (whole.model !== `models/${model}`)
    throw new CountRefusal("* CountTokensRequest.generate_content_request.model: does not match the model");
  const { model: _name, ...counted } = whole;
  return { totalTokens: wordsIn(counted) };
}
