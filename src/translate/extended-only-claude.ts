import { claudeVersion } from "./claude-version.ts";

/**
 * Whether `model` is a Claude that thinks with a manual budget alone, answering `thinking: {type:
 * "adaptive"}` with a 400 ("adaptive thinking is not supported on this model"): Claude 4.5 and
 * earlier that think. Anthropic's "Troubleshooting thinking" has Opus 4.5, Haiku 4.5 and Sonnet 4.5
 * "Extended only", rejecting `"adaptive"`, and Opus 4.1, Sonnet 4 and Opus 4 supporting "extended
 * thinking only"; AWS's "Adaptive thinking": "Older models (Claude Sonnet 4.5, Claude Opus 4.5, etc.)
 * do not support adaptive thinking". Sonnet 3.7, the first to think, had manual thinking alone.
 * Claude 3.5 and before, which do not think at all, are left to their upstream, as is a name that
 * parses as no Claude (Mythos Preview's, which takes both modes). Read by the parsed version,
 * remembered for the last name (claudeVersion).
 */
export function extendedOnlyClaude(model: string): boolean {
  const version = claudeVersion(model);
  if (version === undefined) return false;
  const { family, major, minor } = version;
  return major === 4 ? minor <= 5 : major === 3 && minor === 7 && family === "sonnet";
}
