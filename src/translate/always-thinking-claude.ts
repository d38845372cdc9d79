import { claudeVersion } from "./claude-version.ts";

/** A Claude that thinks on every request: what it takes instead of none, and whether it refuses a forced tool call. */
export interface AlwaysThinking {
  /** What thinking it takes instead of none, said for the caller. */
  readonly takes: string;
  /** Whether it answers `tool_choice` `any` or `tool` with a 400: a forced call would skip its thinking. */
  readonly refusesForcedCall: boolean;
}

const SONNET_5_5: AlwaysThinking = {
  takes:
    'it thinks adaptively, or with {"type": "between_tools"} only between tool calls (at effort high or below)',
  refusesForcedCall: true,
};
const ADAPTIVE = "it always thinks adaptively; set output_config.effort low for the least thinking";
const ADAPTIVE_UNFORCED: AlwaysThinking = { takes: ADAPTIVE, refusesForcedCall: true };
const ADAPTIVE_FORCEABLE: AlwaysThinking = { takes: ADAPTIVE, refusesForcedCall: false };

/**
 * The one list of the Claudes that refuse `thinking: {type: "disabled"}` with a 400 at any effort
 * (thinking-off-refused.ts), and of those of them that refuse a forced tool call too
 * (forced-tool-refused.ts); undefined for any model that can go without thinking. Claude Sonnet
 * 5.5 thinks adaptively or, with `between_tools`, only between tool calls ("What's new in Claude
 * Sonnet 5.5", Turn off up-front thinking); Claude Opus 5.5 adaptively always ("What's new in
 * Claude Opus 5.5", Thinking can't be disabled, which "also applies on Claude Fable 5.1"), and
 * Claude Mythos 5.1, which shares Fable 5.1's baseline (the Fable 5.1 migration guide); each of
 * these four refuses a forced call ("Forced tool use returns an error"; "Thinking in tool and
 * multi-turn workflows" names them). Claude Fable 5 and Mythos 5 think always too (the Fable 5
 * migration guide: `disabled` returns a 400) but take a forced call (Fable 5.1's "What's new": its
 * refusal is a breaking change from Fable 5). Claude Mythos Preview is not listed: AWS's "Adaptive
 * thinking" page has it take adaptive thinking only, Anthropic's "Troubleshooting thinking" both
 * adaptive and extended, so a `disabled` to it goes for its upstream to judge. The name is parsed
 * once a model (claudeVersion).
 */
export function alwaysThinkingClaude(model: string): AlwaysThinking | undefined {
  const version = claudeVersion(model);
  if (version?.major !== 5) return undefined;
  const { family, minor } = version;
  if (family === "sonnet") return minor === 5 ? SONNET_5_5 : undefined;
  if (family === "opus") return minor === 5 ? ADAPTIVE_UNFORCED : undefined;
  if (family !== "fable" && family !== "mythos") return undefined;
  return minor === 0 ? ADAPTIVE_FORCEABLE : minor === 1 ? ADAPTIVE_UNFORCED : undefined;
}
