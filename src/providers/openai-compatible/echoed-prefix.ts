import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";
import { jsonObjectOf } from "../../translate/parse-body.ts";
import type { ProviderReply } from "../provider.ts";

/**
 * A chat answer to a conversation that ended on an assistant prefix (`prefix: true`,
 * mistral-chat.ts) without that prefix: Mistral's answer begins with it again ("A prefix is a
 * string prepended to the model's response"; its guide reads the answer from `len(prefix)`), where
 * Claude's continuation of a prefill, and any chat answer, does not. Each choice's text goes
 * without the prefix where it begins so, across the stream's first deltas (Mistral may send the
 * prefix's trailing space with the next one); text that does not begin so is left as it is.
 */
export function withoutEchoedPrefix(reply: ProviderReply, prefix: string, answers = 1): ProviderReply {
  if (reply.kind === "json") return { ...reply, body: wholeWithout(reply.body, prefix) };
  if (reply.kind === "stream") return { ...reply, events: eventsWithout(reply.events, prefix, answers) };
  return reply;
}

function wholeWithout(body: JsonObject, prefix: string): JsonObject {
  if (!Array.isArray(body.choices)) return body;
  let changed = false;
  const choices = body.choices.map((choice) => {
    if (!isJsonObject(choice) || !isJsonObject(choice.message)) return choice;
    const content = choice.message.content;
    if (typeof content !== "string" || !content.startsWith(prefix)) return choice;
    changed = true;
    return { ...choice, message: { ...choice.message, content: content.slice(prefix.length) } };
  });
  return changed ? { ...body, choices } : body;
}

/** `answers`: the choices the stream has (the request's `n`). */
async function* eventsWithout(
  events: AsyncIterable<SseEvent>,
  prefix: string,
  answers: number,
): AsyncGenerator<SseEvent> {
  /** What of the prefix each choice's text has yet to repeat; "" once it did, or did not. */
  const owed = new Map<number, string>();
  let open = true;
  for await (const event of events) {
    if (!open || event.data === "[DONE]") {
      yield event;
      continue;
    }
    const chunk = jsonObjectOf(event.data);
    const choices = chunk && Array.isArray(chunk.choices) ? chunk.choices : [];
    let changed = false;
    for (const choice of choices) {
      if (!isJsonObject(choice) || !isJsonObject(choice.delta)) continue;
      const content = choice.delta.content;
      if (typeof content !== "string" || content === "") continue;
      const index = typeof choice.index === "number" ? choice.index : 0;
      const rest = owed.get(index) ?? prefix;
      if (rest === "") continue;
      if (content.startsWith(rest)) {
        choice.delta.content = content.slice(rest.length);
        owed.set(index, "");
        changed = true;
      } else if (rest.startsWith(content)) {
        choice.delta.content = "";
        owed.set(index, rest.slice(content.length));
        changed = true;
      } else {
        // Parted from the prefix after a start of it was held back: that start was the answer's.
        if (rest !== prefix) {
          choice.delta.content = prefix.slice(0, prefix.length - rest.length) + content;
          changed = true;
        }
        owed.set(index, "");
      }
    }
    // Every choice past the prefix (one answer, mostly): the rest of the stream goes as it came.
    if (owed.size >= answers && [...owed.values()].every((rest) => rest === "")) open = false;
    yield changed && chunk ? { ...event, data: JSON.stringify(chunk) } : event;
  }
}
