import { claudeVersion } from "./claude-version.ts";

/**
 * What thinking `model` takes instead of none, said for the caller; undefined for any model that can
 * go without. These Claudes think on every request: Claude Sonnet 5.5 adaptively or, with
 * `between_tools`, only between tool calls ("What's new in Claude Sonnet 5.5", Turn off up-front
 * thinking); Claude Opus 5.5 adaptively always ("What's new in Claude Opus 5.5", Thinking can't be
 * disabled, which "also applies on Claude Fable 5.1"), and Claude Mythos 5.1, which shares Fable
 * 5.1's baseline (the Fable 5.1 migration guide). So each refuses, with a 400, both `thinking:
 * {type: "disabled"}` (thinking-off-refused.ts) and a forced tool call, which would skip thinking
 * (forced-tool-refused.ts; "Thinking in tool and multi-turn workflows" names these four). The one
 * list of them: the name is parsed once a model (claudeVersion).
 */
export function thinkingItTakes(model: string): string | undefined {
  const version = claudeVersion(model);
  if (version?.major !== 5) return undefined;
  const { family, minor } = version;
  if (family === "sonnet" && minor === 5)
    return 'it thinks adaptively, or with {"type": "between_tools"} only between tool calls (at effort high or below)';
  if ((family === "opus" && minor === 5) || ((family === "fable" || family === "mythos") && minor === 1))
    return "it always thinks adaptively; set output_config.effort low for the least thinking";
  return undefined;
}
