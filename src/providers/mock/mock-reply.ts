import type { JsonObject } from "../../core/dialect.ts";

/**
 * What the mock answers to, one text a prompt: a chat call's last user turn; each of a completions
 * call's prompts (`prompt` is a string, a list of them, or token ids, one list a prompt — the mock
 * has no tokenizer, so ids are their numbers as text).
 */
export function promptTexts(body: JsonObject, chat: boolean): string[] {
  if (chat) return [lastUserText(body)];
  const { prompt } = body;
  if (typeof prompt === "string") return [prompt];
  if (!Array.isArray(prompt) || prompt.length === 0) return [""];
  if (prompt.every((item) => typeof item === "number")) return [prompt.join(" ")];
  return prompt.map((item) => (Array.isArray(item) ? item.join(" ") : String(item)));
}

/** The text of the last user turn, whatever shape its content has. */
function lastUserText(body: JsonObject): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | undefined;
    if (message?.role !== "user") continue;
    if (typeof message.content === "string") return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : ""))
        .join("");
    }
  }
  return "";
}

/** Rough token count (4 characters a token), enough for usage and limits in a demo. */
export const roughTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** A fixed, unit-length vector per input, derived from its characters. */
export function mockEmbedding(text: string, dimensions = 8): number[] {
  const vector = Array.from({ length: dimensions }, (_, i) => {
    let h = 2166136261 ^ i;
    for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), 16777619);
    return ((h >>> 0) % 2000) / 1000 - 1;
  });
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}
