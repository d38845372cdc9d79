import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import {
  type AnthropicContentBlock,
  type AnthropicMessage,
  type AnthropicRequest,
  anthropicRequest,
} from "../anthropic-schema.ts";
import { parseBody } from "../parse-body.ts";

/**
 * Anthropic Messages request → OpenAI chat.completions request.
 *
 * Dropped, for want of an OpenAI equivalent: `top_k`, `thinking`, `cache_control`, thinking and
 * document blocks, `service_tier`, `container`, `mcp_servers`. Server tools (Anthropic-hosted,
 * with a `type` other than `custom`) cannot run elsewhere and are refused with a 400.
 */
export function messagesRequestToChat(body: JsonObject): JsonObject {
  const request = parseBody(anthropicRequest, body, "request");
  const messages: JsonObject[] = [];
  const system = systemText(request.system);
  if (system !== undefined) messages.push({ role: "system", content: system });
  for (const message of request.messages) messages.push(...translateMessage(message));

  const out: JsonObject = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.stop_sequences?.length) out.stop = request.stop_sequences;
  if (request.metadata?.user_id) out.user = request.metadata.user_id;
  if (request.stream) {
    out.stream = true;
    // Anthropic streams always report usage; OpenAI only when asked.
    out.stream_options = { include_usage: true };
  }
  Object.assign(out, translateTools(request));
  return out;
}

function systemText(system: AnthropicRequest["system"]): string | undefined {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system;
  return system.map((block) => block.text).join("\n\n");
}

function translateMessage(message: AnthropicMessage): JsonObject[] {
  if (typeof message.content === "string") return [{ role: message.role, content: message.content }];
  return message.role === "assistant" ? [assistantMessage(message.content)] : userMessages(message.content);
}

function assistantMessage(blocks: AnthropicContentBlock[]): JsonObject {
  let text = "";
  const toolCalls: JsonObject[] = [];
  for (const block of blocks) {
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "tool_use" && typeof block.id === "string" && typeof block.name === "string") {
      const args = JSON.stringify(block.input ?? {});
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: args } });
    }
  }
  const out: JsonObject = { role: "assistant", content: text === "" && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  return out;
}

/**
 * A user turn may mix tool results and content. OpenAI wants each result as its own `tool`
 * message, so the turn is cut into runs, order kept: results, then a user message, and so on.
 */
function userMessages(blocks: AnthropicContentBlock[]): JsonObject[] {
  const out: JsonObject[] = [];
  let parts: JsonObject[] = [];
  const flush = () => {
    if (parts.length === 0) return;
    const only = parts.length === 1 ? parts[0] : undefined;
    out.push({ role: "user", content: only?.type === "text" ? only.text : parts });
    parts = [];
  };
  for (const block of blocks) {
    if (block.type === "tool_result") {
      flush();
      out.push(toolMessage(block));
      continue;
    }
    const part = userPart(block);
    if (part) parts.push(part);
  }
  flush();
  return out;
}

function userPart(block: AnthropicContentBlock): JsonObject | undefined {
  if (block.type === "text" && typeof block.text === "string") return { type: "text", text: block.text };
  if (block.type !== "image" || !("source" in block)) return undefined;
  const source = block.source as { type: string; url?: string; media_type?: string; data?: string };
  const url = source.type === "url" ? source.url : `data:${source.media_type};base64,${source.data}`;
  return { type: "image_url", image_url: { url } };
}

function toolMessage(block: AnthropicContentBlock): JsonObject {
  const content = "content" in block ? block.content : undefined;
  let text = "";
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
      .filter((part) => part !== "")
      .join("\n");
  }
  // OpenAI has no error flag on a tool result; the model still needs to know it failed.
  if ("is_error" in block && block.is_error === true) text = `Error: ${text}`;
  return { role: "tool", tool_call_id: "tool_use_id" in block ? block.tool_use_id : "", content: text };
}

function translateTools(request: AnthropicRequest): JsonObject {
  const out: JsonObject = {};
  if (request.tools) {
    out.tools = request.tools.map((tool, i) => {
      if (tool.type !== undefined && tool.type !== "custom") {
        throw badRequest(
          `tools.${i}: server tool "${tool.type}" is not available on this model`,
          `tools.${i}.type`,
        );
      }
      const fn: JsonObject = {
        name: tool.name,
        parameters: tool.input_schema ?? { type: "object", properties: {} },
      };
      if (tool.description !== undefined) fn.description = tool.description;
      return { type: "function", function: fn };
    });
  }
  const choice = request.tool_choice;
  if (choice) {
    if (choice.type === "tool") {
      if (!choice.name) throw badRequest("tool_choice.name: required when type is tool", "tool_choice.name");
      out.tool_choice = { type: "function", function: { name: choice.name } };
    } else out.tool_choice = { auto: "auto", any: "required", none: "none" }[choice.type];
    if (choice.disable_parallel_tool_use === true && request.tools?.length) out.parallel_tool_calls = false;
  }
  return out;
}
