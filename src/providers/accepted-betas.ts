/**
 * The `anthropic-beta` values an upstream serving Claude takes, each by the caller's name with the
 * name the upstream takes it by. Claude on Bedrock and on Vertex AI refuse a request naming any
 * other (400 "invalid beta flag"; "Unexpected value(s) `…` for the `anthropic-beta` header"),
 * where Anthropic's own API takes what Claude Code sends it.
 */
export type AcceptedBetas = ReadonlyMap<string, string>;

/**
 * The list a cloud takes: `names` as they are, and `renamed`, Anthropic's name of a beta the
 * cloud knows by another (the tool search Claude Code asks for as `advanced-tool-use-2025-11-20`
 * is the clouds' `tool-search-tool-2025-10-19`).
 */
export function acceptedBetas(
  names: readonly string[],
  renamed: Readonly<Record<string, string>> = {},
): AcceptedBetas {
  return new Map([...names.map((name) => [name, name] as const), ...Object.entries(renamed)]);
}

/** The caller's betas as the upstream takes them, and those it would refuse. */
export interface SortedBetas {
  /** In the caller's order, under the upstream's names, each once. */
  readonly sent: readonly string[];
  /** As the caller named them. */
  readonly refused: readonly string[];
}

/** Sorts the caller's `anthropic-beta` header (comma-separated, spaces allowed) by `accepted`. */
export function sortBetas(header: string, accepted: AcceptedBetas): SortedBetas {
  const sent: string[] = [];
  const refused: string[] = [];
  for (const part of header.split(",")) {
    const beta = part.trim();
    if (beta === "") continue;
    const name = accepted.get(beta);
    if (name === undefined) refused.push(beta);
    else if (!sent.includes(name)) sent.push(name);
  }
  return { sent, refused };
}
