import { acceptedBetas } from "../accepted-betas.ts";

/**
 * The betas Claude on Vertex AI takes in the `anthropic-beta` header; any other is its 400
 * "Unexpected value(s) `…` for the `anthropic-beta` header. Please consult our documentation at
 * docs.anthropic.com or try again without the header."
 *
 * Google documents the features, not a list of names (web search: cloud.google.com/vertex-ai/
 * generative-ai/docs/partner-models/claude/web-search); the names are LiteLLM's maintained map for
 * Vertex AI (litellm/anthropic_beta_headers_config.json, "vertex_ai"; PR #22321 saw
 * `compact-2026-01-12` taken), the tool-search rename with them, less `per-turn-control-2026-07-01`,
 * which Claude Code (2.1.328), sending Bedrock and Vertex AI only the betas it has them take, holds
 * back from both. Left out too: what Vertex refused in Claude Code issues #34802
 * (`effort-2025-11-24`, `adaptive-thinking-2026-01-28`) and #12429, LiteLLM issue #19984
 * (`prompt-caching-scope-…`), sub2api #3358 (`advisor-tool-…`, `redact-thinking-…`,
 * `thinking-token-count-…`); a name the map does not hold (`claude-code-20250219`) is left out, as
 * LiteLLM leaves it.
 */
export const VERTEX_BETAS = acceptedBetas(
  [
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
  ],
  { "advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19" },
);
