import { acceptedBetas } from "../accepted-betas.ts";

/**
 * The betas Claude on Bedrock takes in InvokeModel's `anthropic_beta`; any other is its 400
 * ValidationException "invalid beta flag", which Claude Code, pointed at the gateway as at
 * Anthropic, meets on every request (it sends `claude-code-20250219`, `per-turn-control-…`, …).
 *
 * Sources: AWS's list in the Claude Messages request reference (docs.aws.amazon.com/bedrock/latest/
 * userguide/model-parameters-anthropic-claude-messages-request-response.html) as LiteLLM PR #19877
 * quotes it (the first eleven); the later ones and the tool-search rename from LiteLLM's
 * maintained map for Bedrock Invoke (litellm/anthropic_beta_headers_config.json, "bedrock"; PR
 * #41203 saw `compact-2026-01-12` and `computer-use-2025-11-24` answered 200), less
 * `mid-conversation-tool-changes-2026-07-01`, which Claude Code (2.1.328), sending Bedrock and
 * Vertex AI only the betas it has them take, holds back from both. Left out too: what Bedrock
 * refused in Claude Code issues #49370, #49648 (`claude-code-20250219`) and #56595
 * (`extended-cache-ttl-2025-04-11`), and Anthropic-only betas (`prompt-caching-scope-…`,
 * `files-api-…`, `mcp-servers-…`). Some models take fewer still (#49370: Opus 4.7 at its launch
 * took `interleaved-thinking-2025-05-14` alone); a list per model would go stale with each release.
 */
export const BEDROCK_BETAS = acceptedBetas(
  [
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
  ],
  { "advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19" },
);
