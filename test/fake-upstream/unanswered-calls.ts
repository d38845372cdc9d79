import type { FakeRefusal } from "./fake-call.ts";

/**
 * OpenAI's chat API's check of a conversation's tool calls: an assistant message with
 * `tool_calls` must be followed, before any other message, by a `tool` message for each call. A
 * request that breaks it is refused in OpenAI's words (`param` the message that should have
 * been a tool's, as OpenAI spells it); undefined for one that keeps it.
 */
export function unansweredCalls(body: unknown): FakeRefusal | undefined {
  const messages = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
  for (const [i, message] of messages.entries()) {
    const calls = isRecord(message) && Array.isArray(message.tool_calls) ? message.tool_calls : [];
    const answered = new Set<unknown>();
    for (const next of messages.slice(i + 1)) {
      if (!isRecord(next) || next.role !== "tool") break;
      answered.add(next.tool_call_id);
    }
    const missing = calls.flatMap((call) =>
      isRecord(call) && !answered.has(call.id) ? [String(call.id)] : [],
    );
    if (missing.length > 0)
      return {
        status: 400,
        message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.join(", ")}`,
        param: `messages.[${i + 1}].role`,
      };
  }
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
