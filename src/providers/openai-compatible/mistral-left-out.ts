import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { CHAT_DEFAULTS } from "../../translate/chat-target.ts";
import type { Dropped } from "../../translate/dropped.ts";
import { asksNothing, isUnset } from "../../translate/uncarried-fields.ts";
import { MESSAGE_FIELDS, UNTAKEN } from "./mistral-chat.ts";

const WHY = "is a field Mistral's API refuses (422 Extra inputs are not permitted)";

/**
 * Names in `dropped` what `forMistral` sends `body` without (`Provider.leavesOut`), as a
 * translation names what it cannot carry: each field of Mistral's `UNTAKEN` the body sets to ask
 * for something (`user`, `store: true`; not `store: false`, `service_tier: "auto"`), and each key
 * of a message Mistral's schema has not for its role, set (`messages.name`, an assistant's
 * `messages.reasoning_content`; not the nulls and empty lists an SDK's answer echoes), in the
 * body's order. `stream_options` is not named: the gateway asks it of every stream for its
 * accounting, and Mistral's stream says its usage unasked, so nothing asked of it is lost.
 * A file part it refuses (`refuseFiles`).
 */
export function nameMistralLeftOut(body: JsonObject, dropped: Dropped): void {
  for (const [field, value] of Object.entries(body))
    if (
      field !== "stream_options" &&
      (UNTAKEN as readonly string[]).includes(field) &&
      !asksNothing(value, CHAT_DEFAULTS[field])
    )
      dropped.add(field, field, WHY);
  const messages = body.messages;
  if (!Array.isArray(messages)) return;
  for (const [i, message] of messages.entries()) {
    if (!isJsonObject(message)) continue;
    refuseFiles(message.content, `messages.${i}.content`, dropped);
    const known = MESSAGE_FIELDS[message.role === "developer" ? "system" : String(message.role)];
    if (!known) continue;
    for (const [key, value] of Object.entries(message))
      if (!known.has(key) && !isUnset(value)) dropped.add(`messages.${key}`, `messages.${i}.${key}`, WHY);
  }
}

/** Mistral's own `file` part, a caller's that speaks Mistral's API: a Mistral file id, nothing else. */
const isMistralFile = (part: JsonObject): boolean =>
  typeof part.file_id === "string" && Object.keys(part).every((key) => key === "type" || key === "file_id");

/**
 * A chat `file` part (a document by its data, or by an OpenAI file id; Claude Code's PDF `document`
 * block, a Responses `input_file`, translated) refused: Mistral's chat API takes a file only as
 * one uploaded to Mistral (its `file` chunk is `{type: "file", file_id}`, a Mistral file id) or a
 * `document_url`, so it refuses OpenAI's part whole (422), and the conversation cannot go without
 * the file it asks about. The route's refusal: a next route that reads files is tried. Mistral's own
 * part, a caller's that knows it speaks to Mistral, goes as sent.
 */
function refuseFiles(content: unknown, path: string, dropped: Dropped): void {
  if (!Array.isArray(content)) return;
  for (const [j, part] of content.entries())
    if (isJsonObject(part) && part.type === "file" && !isMistralFile(part))
      dropped.refuse(
        "messages.content.file",
        `${path}.${j}`,
        "is a file, which Mistral's chat API does not take in OpenAI's form (only a file uploaded to Mistral, by its id, or a document_url): send its text instead, or call a model whose upstream reads files",
      );
}
