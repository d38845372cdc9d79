import type { JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import type { ResponsesRequest, ResponsesTool } from "./responses-schema.ts";
import type { ToolNames } from "./tool-names.ts";

/** The one argument a `custom` tool's chat function takes. */
export const CUSTOM_INPUT = "input";

/**
 * Responses tools → chat `tools` and `tool_choice`. A `namespace` is flattened into its
 * tools; a `custom` tool (free text, or text in a grammar) becomes a function with one string
 * argument whose description carries the grammar; hosted tools (web search, file search,
 * tool search, …) run only at their provider and are dropped or refused by policy.
 */
export function chatTools(
  tools: readonly ResponsesTool[],
  choice: ResponsesRequest["tool_choice"],
  names: ToolNames,
  dropped: Dropped,
): JsonObject {
  const out: JsonObject = {};
  const functions: JsonObject[] = [];
  const add = (tool: ResponsesTool, path: string, namespace?: ResponsesTool) => {
    if (tool.type === "namespace" && !namespace) {
      for (const [j, inner] of (tool.tools ?? []).entries()) add(inner, `${path}.tools[${j}]`, tool);
      return;
    }
    if ((tool.type !== "function" && tool.type !== "custom") || !tool.name) {
      dropped.add(`tools.${tool.type}`, `${path}.type`, "is a hosted tool the upstream cannot run");
      return;
    }
    const custom = tool.type === "custom";
    const name = names.declare({
      name: tool.name,
      ...(namespace?.name ? { namespace: namespace.name } : {}),
      custom,
    });
    functions.push({
      type: "function",
      function: custom ? customFunction(name, tool) : plainFunction(name, tool, namespace),
    });
  };
  for (const [i, tool] of tools.entries()) add(tool, `tools[${i}]`);
  if (functions.length > 0) out.tools = functions;
  if (typeof choice === "string") {
    if (functions.length > 0 || choice === "none") out.tool_choice = choice;
  } else if ((choice?.type === "function" || choice?.type === "custom") && choice.name) {
    out.tool_choice = {
      type: "function",
      function: { name: names.chatName(choice.name, choice.namespace ?? undefined) },
    };
  } else if (choice) {
    dropped.add(`tool_choice.${choice.type}`, "tool_choice.type");
  }
  return out;
}

function plainFunction(name: string, tool: ResponsesTool, namespace: ResponsesTool | undefined): JsonObject {
  const fn: JsonObject = { name, parameters: tool.parameters ?? { type: "object", properties: {} } };
  const description = [namespace?.description, tool.description].filter(Boolean).join("\n\n");
  if (description) fn.description = description;
  if (tool.strict != null) fn.strict = tool.strict;
  return fn;
}

function customFunction(name: string, tool: ResponsesTool): JsonObject {
  const format = tool.format;
  const grammar =
    format?.type === "grammar" && format.definition
      ? `The ${CUSTOM_INPUT} must be text in this ${format.syntax ?? ""} grammar:\n${format.definition}`
      : `The ${CUSTOM_INPUT} is free text, passed to the tool as is.`;
  return {
    name,
    description: [tool.description, grammar].filter(Boolean).join("\n\n"),
    parameters: {
      type: "object",
      properties: { [CUSTOM_INPUT]: { type: "string", description: "The tool's whole input, as raw text." } },
      required: [CUSTOM_INPUT],
      additionalProperties: false,
    },
  };
}
