import { claudeVersion } from "./claude-version.ts";

/**
 * What a Claude's thinking refuses that Claude 4.6 takes: a manual budget (unless `takesBudget`),
 * thinking off (when `alwaysThinks`), a forced tool call (when `refusesForcedCall`).
 */
export interface ThinkingRefusals {
  /** When it cannot turn thinking off: what it takes instead of none, said for the caller. */
  readonly alwaysThinks?: string;
  /** Whether it answers `tool_choice` `any` or `tool` with a 400: a forced call would skip its thinking. */
  readonly refusesForcedCall: boolean;
  /** Set for Claude Mythos Preview alone, listed for `disabled`: its manual budget left to its upstream. */
  readonly takesBudget?: true;
}

const SONNET_5_5: ThinkingRefusals = {
  alwaysThinks:
    'it thinks adaptively, or with {"type": "between_tools"} only between tool calls (at effort high or below)',
  refusesForcedCall: true,
};
const ADAPTIVE = "it always thinks adaptively; set output_config.effort low for the least thinking";
const ALWAYS_UNFORCED: ThinkingRefusals = { alwaysThinks: ADAPTIVE, refusesForcedCall: true };
const ALWAYS_FORCEABLE: ThinkingRefusals = { alwaysThinks: ADAPTIVE, refusesForcedCall: false };
/** Adaptive thinking or none: Opus 4.7 (its `disabled` by Anthropic's table: below), 4.8 and 5, Sonnet 5, Haiku 5.5. */
const OFF_TAKEN: ThinkingRefusals = { refusesForcedCall: false };
/**
 * Claude Mythos Preview: always thinking, adaptively or with a budget (Anthropic's "Troubleshooting
 * thinking" table: "Adaptive, extended"; AWS's "Adaptive thinking" refuses the budget), so its
 * least thinking is said in both modes, not as the adaptive-only Claudes' is.
 */
const MYTHOS_PREVIEW: ThinkingRefusals = {
  alwaysThinks:
    'it always thinks: for the least thinking ask for {"type": "adaptive"} with output_config.effort low, or a small manual budget ({"type": "enabled", "budget_tokens": N}) where its server takes one',
  refusesForcedCall: false,
  takesBudget: true,
};

/**
 * The one list of what Claude's thinking refuses, per model (thinking-type-refused.ts,
 * forced-tool-refused.ts); undefined for a model that refuses none of it: Claude 4.6 and earlier,
 * which take a manual budget and thinking off, and a name that is no Claude's. Claude 4.7 and later
 * refuse `thinking: {type: "enabled", budget_tokens}` with a 400 (Anthropic's "Extended thinking":
 * "Claude 4.7 and later models do not support it and reject requests that use it"; AWS's "Adaptive
 * thinking" alike for Opus 4.7, Fable 5 and Mythos 5), taking `adaptive` with `output_config.effort`
 * in its place; "4.7 and later" is read by the parsed version, so a Claude no page names yet (a 6.x)
 * is refused a budget too, as that sentence says. Opus 4.7 and 4.8 take `disabled`: Anthropic's
 * "Troubleshooting thinking" table gives them "Adaptive only", default "Off", rejecting `"enabled"`
 * alone ("any value not listed as rejected is accepted"), where AWS's "Adaptive thinking" says
 * `disabled` is a 400 on Opus 4.7; Anthropic's table is followed (Hermes Agent sends `disabled` to
 * every Claude but Fable when reasoning is off, and its report of that 400 names Opus 5.5 alone:
 * NousResearch/hermes-agent#120069; its #11137, once cited for Opus 4.7's `disabled`, quotes one 400,
 * to a manual budget, '"thinking.type.enabled" is not supported', refused here, none to `disabled`;
 * the evidence read, PROVIDERS.md `anthropic`), and a 400 from its upstream is the caller's. Of
 * them, these refuse `{type: "disabled"}` at any effort too: Claude Sonnet 5.5, which thinks
 * adaptively or, with `between_tools`, only between tool calls ("What's new in Claude Sonnet 5.5",
 * Turn off up-front thinking); Claude Opus 5.5, adaptively
 * always ("What's new in Claude Opus 5.5", Thinking can't be disabled, which "also applies on Claude
 * Fable 5.1"), and Claude Mythos 5.1, which shares Fable 5.1's baseline (the Fable 5.1 migration
 * guide); each of these four refuses a forced call ("Forced tool use returns an error"; "Thinking in
 * tool and multi-turn workflows" names them). Claude Fable 5 and Mythos 5 think always too (the Fable
 * 5 migration guide: `disabled` returns a 400) but take a forced call (Fable 5.1's "What's new": its
 * refusal is a breaking change from Fable 5). Claude Mythos Preview, whose name has no version, always
 * thinks too: both vendors say its `disabled` is a 400 (Anthropic's "Troubleshooting thinking" table:
 * "Adaptive, extended", "Always on", rejects `"disabled"`; AWS's "Adaptive thinking": "Manual extended
 * thinking … and disabled thinking … are not supported on these models and will return a 400 error"),
 * so that is refused; they disagree on its manual budget (Anthropic's: "Claude Mythos Preview supports
 * both modes"), which goes for its upstream to judge (`takesBudget`); no page says it refuses a forced
 * call. The name is parsed once a model (claudeVersion); Mythos Preview's looked for only in a name
 * that parses as none. The list is read by the route's model name whatever server it names
 * (PROVIDERS.md, `anthropic`): a server under another base URL that serves Claude by its name (a
 * proxy, Foundry, a private endpoint) gives Claude's 400, and one that takes a budget for Claude 4.7
 * and later honours none.
 */
export function claudeThinkingRefusals(model: string): ThinkingRefusals | undefined {
  const version = claudeVersion(model);
  if (version === undefined) return model.includes("claude-mythos-preview") ? MYTHOS_PREVIEW : undefined;
  const { family, major, minor } = version;
  if (major < 4 || (major === 4 && minor < 7)) return undefined;
  if (major !== 5) return OFF_TAKEN;
  if (family === "sonnet" && minor === 5) return SONNET_5_5;
  if (family === "opus" && minor === 5) return ALWAYS_UNFORCED;
  if (family !== "fable" && family !== "mythos") return OFF_TAKEN;
  return minor === 0 ? ALWAYS_FORCEABLE : minor === 1 ? ALWAYS_UNFORCED : OFF_TAKEN;
}
