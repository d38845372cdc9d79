// The betas Claude on each cloud takes, as the vendors' documentation and the gateways that keep a
// list of them (LiteLLM's anthropic_beta_headers_config.json) name them, less those Claude Code
// itself holds back from both clouds; any other is refused with the cloud's own error. Written
// here from those sources, not read from the gateway.

/** Bedrock's InvokeModel `anthropic_beta` (AWS's Claude Messages request reference, then LiteLLM's map). */
const BEDROCK = new Set([
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "token-efficient-tools-2025-02-19",
  "interleaved-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "dev-full-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
  "compact-2026-01-12",
  "computer-use-2025-11-24",
  "fine-grained-tool-streaming-2025-05-14",
  "dangerous-tool-use-2026-09-03",
  "thinking-binding-controls-2026-08-01",
  "mid-conversation-output-config-2026-07-01",
  "thinking-display-updates-2026-08-18",
]);

/** Vertex AI's `anthropic-beta` header (LiteLLM's map; Google documents the features, not the names). */
const VERTEX = new Set([
  "computer-use-2025-01-24",
  "computer-use-2025-11-24",
  "interleaved-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "compact-2026-01-12",
  "compact-2026-09-04",
  "tool-search-tool-2025-10-19",
  "web-search-2025-03-05",
  "dangerous-tool-use-2026-09-03",
  "thinking-binding-controls-2026-08-01",
  "thinking-display-updates-2026-08-18",
]);

/** Bedrock's refusal of an `anthropic_beta` list naming a beta it does not take (a ValidationException). */
export function bedrockBetaRefusal(betas: unknown): string | undefined {
  if (betas === undefined) return undefined;
  if (!Array.isArray(betas) || betas.some((beta) => typeof beta !== "string" || !BEDROCK.has(beta)))
    return "invalid beta flag";
  return undefined;
}

/** Vertex AI's refusal of an `anthropic-beta` header naming betas it does not take (a 400 in Anthropic's shape). */
export function vertexBetaRefusal(header: string | undefined): string | undefined {
  const unknown = (header ?? "")
    .split(",")
    .map((beta) => beta.trim())
    .filter((beta) => beta !== "" && !VERTEX.has(beta));
  if (unknown.length === 0) return undefined;
  const named = unknown.map((beta) => `\`${beta}\``).join(", ");
  return `Unexpected value(s) ${named} for the \`anthropic-beta\` header. Please consult our documentation at docs.anthropic.com or try again without the header.`;
}
