import type { Dialect } from "../core/dialect.ts";

/**
 * Request headers a same-dialect upstream gets from the client: the dialect's version and beta
 * switches, which change what the upstream accepts (Claude Code's `anthropic-beta` unlocks
 * `context_management`). Nothing else passes — least of all credentials.
 */
const PASSED: Record<Dialect, readonly string[]> = {
  openai: ["openai-beta"],
  anthropic: ["anthropic-beta", "anthropic-version"],
};

export function dialectHeaders(headers: Headers, dialect: Dialect): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED[dialect]) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** The request's query string with its `?` (`?beta=true`), or "". */
export function queryOf(url: string): string {
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at);
}
