import { rememberLast } from "../core/remember-last.ts";

/** A Claude model's family and version, as its name says them. */
export interface ClaudeVersion {
  readonly family: string;
  readonly major: number;
  readonly minor: number;
}

/**
 * `claude-<family>-<major>[-<minor>]` (Claude 4 on), or `claude-<major>[-<minor>]-<family>` (Claude
 * 3); the minor after a dot too, as other vendors' Anthropic-compatible APIs write it
 * (`anthropic/claude-opus-4.6`, `claude-3.5-sonnet`): read as 4.0, such a name was placed wrong.
 */
const NEWER = /claude-([a-z]+)-(\d{1,2})(?:[-.](\d{1,2}))?(?!\d)/;
const OLDER = /claude-(\d)(?:[-.](\d))?-([a-z]+)/;

/**
 * `model`'s family and version, read off its name, Bedrock's and Vertex's names included
 * (`us.anthropic.claude-opus-4-6-v1`, `claude-sonnet-4-5@20250929`); undefined for a name that
 * places none (`claude-mythos-preview`, another vendor's model). The last name read is remembered:
 * one Anthropic call asks it twice (the output limit, the effort levels), and a route's calls name
 * one model, so the name is parsed once a model, not once an ask.
 */
export const claudeVersion: (model: string) => ClaudeVersion | undefined = rememberLast(readClaudeVersion);

function readClaudeVersion(model: string): ClaudeVersion | undefined {
  const newer = NEWER.exec(model);
  if (newer) return { family: newer[1] ?? "", major: Number(newer[2]), minor: Number(newer[3] ?? 0) };
  const older = OLDER.exec(model);
  if (older) return { family: older[3] ?? "", major: Number(older[1]), minor: Number(older[2] ?? 0) };
  return undefined;
}
