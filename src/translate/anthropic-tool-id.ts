/**
 * Tool-call ids across the Anthropic boundary. Anthropic (and Bedrock's `toolUseId`) take only
 * `^[a-zA-Z0-9_-]+$`; OpenAI-type servers mint others (Kimi K2: `functions.get_weather:0`), and a
 * conversation that moves between them (a failover, a model switch, Claude Code on a chat route)
 * would be refused on its next turn. Such an id is written reversibly in the allowed characters
 * (`toolu_mgw_` and its UTF-8 as base64url) wherever the gateway writes it toward Anthropic, and
 * read back wherever it comes back toward a chat upstream, which gets the id it minted. An id
 * already allowed is left as it is, so the pair (a call and its result) always stays equal.
 */
const ALLOWED = /^[a-zA-Z0-9_-]+$/;
const PREFIX = "toolu_mgw_";

/** The id as Anthropic may be given it. */
export function anthropicToolId(id: string): string {
  if (ALLOWED.test(id)) return id;
  return PREFIX + Buffer.from(id, "utf8").toString("base64url");
}

/** Bedrock's `toolUseId`: Anthropic's pattern, and 64 characters at most. */
const BEDROCK_MOST = 64;

/**
 * The id as Bedrock may be given it: `anthropicToolId`'s when that fits in 64 characters, else a
 * digest of the id in the pattern (`toolu_mgh_` and 43 characters of its SHA-256), the same for a
 * call and its result. Not read back: Bedrock answers with ids of its own, and the ids written
 * toward it are only the conversation's history (a Kimi MCP tool's `functions.mcp__github__…:0`
 * runs past 64 once written in base64url).
 */
export function bedrockToolId(id: string): string {
  const written = anthropicToolId(id);
  if (written.length <= BEDROCK_MOST) return written;
  return `toolu_mgh_${new Bun.CryptoHasher("sha256").update(id).digest("base64url")}`;
}

/** The id a chat upstream minted, from what `anthropicToolId` made of it (any other id as it is). */
export function chatToolId(id: string): string {
  if (!id.startsWith(PREFIX)) return id;
  const minted = Buffer.from(id.slice(PREFIX.length), "base64url").toString("utf8");
  // Only what `anthropicToolId` wrote: an id that merely starts so is someone else's.
  return anthropicToolId(minted) === id ? minted : id;
}
