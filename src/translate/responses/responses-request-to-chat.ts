import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { parseBody } from "../parse-body.ts";
import {
  type ResponsesItem,
  type ResponsesRequest,
  responsesItem,
  responsesRequest,
} from "./responses-schema.ts";

/**
 * Responses API request → chat.completions request, for upstreams without `/v1/responses`.
 * `previous` is the stored conversation of `previous_response_id` (its input and output items,
 * oldest first), resolved by the caller; earlier `instructions` are not carried over, as OpenAI
 * documents. Only function tools translate; hosted tools (web search, file search...) are a 400.
 * Dropped: `reasoning`, `store`, `metadata`, `include`, `truncation`, `background`.
 */
export function responsesRequestToChat(body: JsonObject, previous: readonly JsonObject[] = []): JsonObject {
  const request = parseBody(responsesRequest, body, "request");
  const messages: JsonObject[] = [];
  if (request.instructions) messages.push({ role: "system", content: request.instructions });
  const items = [
    ...previous.map((item) => parseBody(responsesItem, item, "request")),
    ...inputItems(request),
  ];
  for (const [i, item] of items.entries()) appendItem(messages, item, i);

  const out: JsonObject = { model: request.model, messages };
  if (request.max_output_tokens != null) out.max_tokens = request.max_output_tokens;
  if (request.temperature != null) out.temperature = request.temperature;
  if (request.top_p != null) out.top_p = request.top_p;
  if (request.user) out.user = request.user;
  if (request.parallel_tool_calls != null && request.tools?.length)
    out.parallel_tool_calls = request.parallel_tool_calls;
  if (request.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true }; // response.completed always reports usage
  }
  const format = request.text?.format;
  if (format?.type === "json_schema") {
    out.response_format = {
      type: "json_schema",
      json_schema: { name: format.name ?? "response", schema: format.schema, strict: format.strict ?? false },
    };
  } else if (format?.type === "json_object") out.response_format = { type: "json_object" };
  Object.assign(out, translateTools(request));
  return out;
}

/** The request's input as items; a bare string is one user message. */
export function inputItems(request: Pick<ResponsesRequest, "input">): ResponsesItem[] {
  if (request.input === undefined) return [];
  if (typeof request.input === "string") return [{ type: "message", role: "user", content: request.input }];
  return request.input;
}

function appendItem(messages: JsonObject[], item: ResponsesItem, i: number): void {
  const type = item.type ?? "message";
  if (type === "message" && item.role) {
    messages.push({ role: item.role, content: messageContent(item.content, i) });
  } else if (type === "function_call") {
    const call = {
      id: item.call_id ?? "",
      type: "function",
      function: { name: item.name ?? "", arguments: item.arguments ?? "" },
    };
    const last = messages.at(-1);
    // Parallel calls are separate items here but one assistant message in chat completions.
    if (last?.role === "assistant" && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
    else if (last?.role === "assistant" && !last.tool_calls) last.tool_calls = [call];
    else messages.push({ role: "assistant", content: null, tool_calls: [call] });
  } else if (type === "function_call_output") {
    const output =
      typeof item.output === "string" ? item.output : (item.output ?? []).map((p) => p.text ?? "").join("");
    messages.push({ role: "tool", tool_call_id: item.call_id ?? "", content: output });
  } else if (type !== "reasoning") {
    throw badRequest(`input.${i}: item type "${type}" is not supported on this model`, `input.${i}.type`);
  }
}

function messageContent(content: ResponsesItem["content"], i: number): string | JsonObject[] {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  const parts = content.map((part, j): JsonObject => {
    if (part.type === "input_text" || part.type === "output_text")
      return { type: "text", text: part.text ?? "" };
    if (part.type === "refusal") return { type: "text", text: part.refusal ?? "" };
    if (part.type === "input_image" && part.image_url)
      return { type: "image_url", image_url: { url: part.image_url } };
    throw badRequest(`input.${i}.content.${j}: part "${part.type}" is not supported on this model`);
  });
  // Plain text is a string: every chat server accepts that, not all accept part arrays.
  if (parts.every((part) => part.type === "text")) return parts.map((part) => part.text).join("");
  return parts;
}

function translateTools(request: ResponsesRequest): JsonObject {
  const out: JsonObject = {};
  if (request.tools?.length) {
    out.tools = request.tools.map((tool, i) => {
      if (tool.type !== "function" || !tool.name) {
        throw badRequest(
          `tools.${i}: tool type "${tool.type}" is not supported on this model`,
          `tools.${i}.type`,
        );
      }
      const fn: JsonObject = {
        name: tool.name,
        parameters: tool.parameters ?? { type: "object", properties: {} },
      };
      if (tool.description) fn.description = tool.description;
      if (tool.strict != null) fn.strict = tool.strict;
      return { type: "function", function: fn };
    });
  }
  const choice = request.tool_choice;
  if (typeof choice === "string") out.tool_choice = choice;
  else if (choice?.type === "function" && choice.name)
    out.tool_choice = { type: "function", function: { name: choice.name } };
  return out;
}
