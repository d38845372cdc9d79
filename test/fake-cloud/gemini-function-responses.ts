/** A `functionResponse` part's body, as far as the rule reads it. */
interface FunctionResponse {
  response?: unknown;
  parts?: Array<{ inlineData?: { displayName?: string } }>;
}

/**
 * Gemini's multimodal function responses: a `{"$ref": "<name>"}` anywhere in a
 * `functionResponse.response` points at the part of that `displayName` in the response's own
 * `parts` (Google's "Multimodal function responses"), and one naming no such part is refused, a
 * 400 INVALID_ARGUMENT in these words — so a tool's result that is itself a JSON Schema, its
 * `$ref: "#/$defs/…"` included, sent as the response object (vercel/ai#14369,
 * NousResearch/hermes-agent#93014, googleapis/python-genai#2792).
 */
export function unmatchedReference(request: { contents: Array<{ parts: object[] }> }): string | undefined {
  for (const content of request.contents) {
    for (const part of content.parts) {
      if (!("functionResponse" in part)) continue;
      const answer = part.functionResponse as FunctionResponse;
      const names = new Set((answer.parts ?? []).map((p) => p.inlineData?.displayName));
      const missing = referencesIn(answer.response).find((name) => !names.has(name));
      if (missing !== undefined)
        return `The referenced name \`${missing}\` in function_response.response does not match to a display_name in the function_response.parts.`;
    }
  }
  return undefined;
}

function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "$ref" && typeof inner === "string" ? [inner] : referencesIn(inner),
  );
}
