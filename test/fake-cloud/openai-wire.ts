import type { CloudAnswer } from "./cloud-script.ts";
import { deltas } from "./cloud-script.ts";

const usage = (answer: CloudAnswer) => ({
  prompt_tokens: answer.inputTokens,
  completion_tokens: answer.outputTokens,
  total_tokens: answer.inputTokens + answer.outputTokens,
});
const toolCall = (answer: CloudAnswer) => ({
  id: "call_azure1",
  type: "function",
  function: { name: answer.tool?.name ?? "", arguments: JSON.stringify(answer.tool?.args ?? {}) },
});

/** Azure OpenAI answers in OpenAI's chat format (with Azure's content-filter annotations). */
export function chatJson(answer: CloudAnswer, model: string): object {
  const message = answer.tool
    ? { role: "assistant", content: null, tool_calls: [toolCall(answer)] }
    : { role: "assistant", content: answer.text };
  return {
    id: "chatcmpl-azure1",
    object: "chat.completion",
    created: 1_764_000_000,
    model,
    choices: [
      { index: 0, message, finish_reason: answer.tool ? "tool_calls" : "stop", content_filter_results: {} },
    ],
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
    usage: usage(answer),
  };
}

export function chatEvents(answer: CloudAnswer, model: string, includeUsage: boolean): string[] {
  const chunk = (choices: object[], extra: object = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-azure1", object: "chat.completion.chunk", created: 1_764_000_000, model, choices, ...extra })}\n\n`;
  // Azure opens with a chunk of prompt filter results and no choices.
  const events = [
    `data: ${JSON.stringify({ id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [] })}\n\n`,
  ];
  events.push(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
  if (answer.tool)
    events.push(
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, ...toolCall(answer) }] }, finish_reason: null }]),
    );
  else
    for (const text of deltas(answer.text))
      events.push(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
  events.push(chunk([{ index: 0, delta: {}, finish_reason: answer.tool ? "tool_calls" : "stop" }]));
  if (includeUsage) events.push(chunk([], { usage: usage(answer) }));
  events.push("data: [DONE]\n\n");
  return events;
}

/**
 * OpenAI's (and Azure's) bound on a tool call's id, 40 characters: a longer one is a 400 in their
 * words, as the real API refuses it.
 */
export function tooLongCallId(request: {
  messages: Array<{ tool_calls?: Array<{ id?: string }> }>;
}): object | undefined {
  for (const [i, message] of request.messages.entries()) {
    for (const [j, call] of (message.tool_calls ?? []).entries()) {
      const length = call.id?.length ?? 0;
      if (length <= 40) continue;
      const param = `messages[${i}].tool_calls[${j}].id`;
      return {
        error: {
          message: `Invalid '${param}': string too long. Expected a string with maximum length 40, but got a string with length ${length} instead.`,
          type: "invalid_request_error",
          param,
          code: "string_above_max_length",
        },
      };
    }
  }
  return undefined;
}

/**
 * Azure OpenAI's API versions before 2024-09-01-preview, which added `max_completion_tokens`,
 * `parallel_tool_calls` and `stream_options` (its API version lifecycle page), refuse each as an
 * argument they do not know, in Azure's words; undefined for a request the version takes.
 */
export function unknownToVersion(apiVersion: string | null, request: object): object | undefined {
  if (apiVersion === null || !/^\d{4}-\d{2}-\d{2}/.test(apiVersion) || apiVersion >= "2024-09-01")
    return undefined;
  const unknown = ["max_completion_tokens", "parallel_tool_calls", "stream_options"].find(
    (field) => field in request,
  );
  if (unknown === undefined) return undefined;
  return {
    error: {
      message: `Unrecognized request argument supplied: ${unknown}`,
      type: "invalid_request_error",
      param: null,
      code: null,
    },
  };
}
