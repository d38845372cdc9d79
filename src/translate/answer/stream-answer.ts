import type { JsonObject, Operation } from "../../core/dialect.ts";
import { SseDecoder } from "../../core/sse.ts";
import type { AnswerFold } from "./answer-fold.ts";
import { ChatAnswerFold } from "./chat-answer-fold.ts";
import { MessagesAnswerFold } from "./messages-answer-fold.ts";
import { ResponsesAnswerFold } from "./responses-answer-fold.ts";

/** The fold of each operation's stream; undefined for those that do not stream. */
function foldOf(operation: Operation): AnswerFold | undefined {
  switch (operation) {
    case "chat":
      return new ChatAnswerFold(false);
    case "completions":
      return new ChatAnswerFold(true);
    case "messages":
      return new MessagesAnswerFold();
    case "responses":
      return new ResponsesAnswerFold();
    default:
      return undefined;
  }
}

/**
 * The whole answer a captured stream's wire text (in the caller's dialect) adds up to, as the
 * same call without `stream` would have answered it; undefined when it holds no event of one.
 * The text is read in one pass; an event that does not parse (the last one of a capture cut at
 * its bound, say) is left out.
 */
export function wholeAnswerOfStream(operation: Operation, text: string): JsonObject | undefined {
  const fold = foldOf(operation);
  if (!fold) return undefined;
  // Unbounded lines: the captured text is bounded already, and is read here, not refused.
  const decoder = new SseDecoder(Number.POSITIVE_INFINITY);
  for (const { data } of [...decoder.pushText(text), ...decoder.end()]) {
    if (data === "" || data === "[DONE]") continue;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      continue;
    }
    fold.take(event);
  }
  return fold.whole();
}
