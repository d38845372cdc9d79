import type { JsonObject } from "../../core/dialect.ts";
import { upstreamError } from "../../core/gateway-error.ts";
import { openAISchemas } from "../openai-schema.ts";
import { parseBody } from "../parse-body.ts";
import { responsesUsage } from "./response-envelope.ts";

/**
 * `POST /v1/responses/compact` on a route without the Responses API. OpenAI answers it with one
 * opaque `compaction` item that stands for the whole conversation; a chat upstream has no such
 * thing, so the gateway asks the model itself for a summary turn (the conversation as it stands,
 * then COMPACT_PROMPT), and hands the summary back as the `compaction` item's
 * `encrypted_content`, marked as the gateway's own. When that item comes back in a later
 * request's input, it goes upstream as a user turn that carries the summary, translated or to a
 * route serving the Responses API itself (item-references.ts `forNativeUpstream`). Codex's
 * in-stream compaction (a `POST /v1/responses` whose input ends in a `compaction_trigger` item)
 * is answered the same way, as a response whose one output item is that `compaction` item.
 */
export const COMPACT_PROMPT = [
  "Summarize the conversation so far for a handoff: another instance of you will continue it",
  "from this summary alone. Keep the user's goal and every constraint they gave, what has been",
  "done (files, commands, results), decisions and their reasons, and what remains to do. Be",
  "complete and concise; write only the summary.",
].join(" ");

/** Marks a compaction item's content as a gateway-written summary (not OpenAI's ciphertext). */
const MARK = "mindgw-summary:v1:";

/** Said before the summary when it goes back to the model. */
const SUMMARY_INTRO = "Summary of the conversation so far (it replaces the earlier turns):";

/**
 * The one `compaction` item of response `id` that carries `summary`. A summary with no text (a
 * model that called a tool despite `tool_choice: none`, or said nothing) fails the compaction as
 * the upstream's failure: an empty summary would replace the whole conversation with nothing.
 */
export function compactionItem(summary: string, id: string): JsonObject {
  if (summary.trim() === "")
    throw upstreamError(
      "the model answered the compaction with no summary text; the conversation is kept as it was",
    );
  return {
    id: `cmp_${id.replace(/^resp_/, "")}`,
    type: "compaction",
    encrypted_content: MARK + Buffer.from(summary, "utf8").toString("base64"),
  };
}

/** The summary text of a chat answer to COMPACT_PROMPT. */
export const summaryOf = (chat: JsonObject): string =>
  parseBody(openAISchemas().chatResponse, chat, "upstream").choices[0]?.message.content ?? "";

/** The `response.compaction` object for a chat answer that holds the summary. */
export function compactionResponse(chat: JsonObject, id: string): JsonObject {
  const body = parseBody(openAISchemas().chatResponse, chat, "upstream");
  return {
    id,
    object: "response.compaction",
    created_at: body.created ?? Math.floor(Date.now() / 1000),
    output: [compactionItem(summaryOf(chat), id)],
    usage: responsesUsage(body.usage),
  };
}

/**
 * The summary a gateway-written compaction item carries, as the user turn every upstream is sent in
 * its place (a chat message and a Responses input message alike: no upstream can read the item
 * itself, OpenAI neither, which cannot decrypt it); undefined for any other item.
 */
export function summaryTurn(item: JsonObject): JsonObject | undefined {
  const content = item.encrypted_content;
  if (item.type !== "compaction" || typeof content !== "string" || !content.startsWith(MARK))
    return undefined;
  const summary = Buffer.from(content.slice(MARK.length), "base64").toString("utf8");
  return { role: "user", content: `${SUMMARY_INTRO}\n\n${summary}` };
}
