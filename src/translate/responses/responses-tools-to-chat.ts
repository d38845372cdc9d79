import type { JsonObject } from "../../core/dialect.ts";
import { missingParameter } from "../../core/missing-parameter.ts";
import { offerAllowed } from "../allowed-tools.ts";
import type { CallerPaths } from "../caller-paths.ts";
import { customFunction } from "../custom-tool-function.ts";
import type { Dropped } from "../dropped.ts";
import type { ResponsesRequest, ResponsesTool } from "./responses-schema.ts";
import type { ToolNames } from "./tool-names.ts";
import { isWebSearchTool, webSearchOptionsOf } from "./web-search-options-of.ts";

/** A tool the caller declared, and where: `tools[0]`, or an `additional_tools` item's `input[3].tools[1]`. */
export interface DeclaredTool {
  readonly tool: ResponsesTool;
  readonly at: string;
}

/**
 * Responses tools → chat `tools` and `tool_choice`. A `namespace` is flattened into its
 * tools; a `custom` tool (free text, or text in a grammar) becomes a function with one string
 * argument whose description carries the grammar; hosted tools (web search, file search,
 * tool search, …) run only at their provider and are dropped or refused by policy. An
 * `allowed_tools` choice offers the model only the tools it allows, its mode (`auto`, `required`)
 * the chat `tool_choice` (allowed-tools.ts, as for a chat caller's on a translated route): every
 * chat server and every API the chat call goes on to reads that. A `web_search` tool, for a target
 * that searches (`webSearch`: Anthropic's web_search tool, Gemini's Google Search), is chat's
 * `web_search_options` (web-search-options-of.ts); to any other it is a hosted tool.
 */
export function chatTools(
  tools: readonly DeclaredTool[],
  choice: ResponsesRequest["tool_choice"],
  names: ToolNames,
  dropped: Dropped,
  paths: CallerPaths,
  webSearch = false,
): JsonObject {
  const out: JsonObject = {};
  const functions: { type: "function"; function: JsonObject }[] = [];
  const add = (tool: ResponsesTool, path: string, namespace?: ResponsesTool) => {
    if (tool.type === "namespace" && !namespace) {
      for (const [j, inner] of (tool.tools ?? []).entries()) add(inner, `${path}.tools[${j}]`, tool);
      return;
    }
    const callable = tool.type === "function" || tool.type === "custom";
    // A chat-shaped tool (`{type: "function", function: {name}}`) is one: refused as OpenAI refuses
    // it, not dropped as a hosted tool, which would answer without the tool the caller declared.
    if (callable && !tool.name) throw missingParameter(`${path}.name`);
    if (webSearch && !namespace && isWebSearchTool(tool)) {
      out.web_search_options = webSearchOptionsOf(tool, path, dropped);
      return;
    }
    if (!callable || !tool.name) {
      dropped.add(`tools.${tool.type}`, `${path}.type`, "is a hosted tool the upstream cannot run");
      return;
    }
    const custom = tool.type === "custom";
    const name = names.declare({
      name: tool.name,
      ...(namespace?.name ? { namespace: namespace.name } : {}),
      custom,
    });
    // Marked with its path: an error about its schema is said of the caller's tool (caller-paths.ts).
    functions.push(
      paths.mark(
        {
          type: "function" as const,
          function: custom ? customFunctionOf(name, tool) : plainFunction(name, tool, namespace),
        },
        path,
      ),
    );
  };
  for (const { tool, at } of tools) add(tool, at);
  const allowed =
    typeof choice === "object" && choice?.type === "allowed_tools"
      ? offerAllowed(functions, allowedNames(choice, names), choice.mode)
      : undefined;
  const offered = allowed?.tools ?? functions;
  if (offered.length > 0) out.tools = offered;
  paths.wroteTools(offered);
  if (typeof choice === "string") {
    if (offered.length > 0 || choice === "none") out.tool_choice = choice;
  } else if (allowed) {
    if (allowed.toolChoice) out.tool_choice = allowed.toolChoice;
  } else if (choice?.type === "function" || choice?.type === "custom") {
    // A chat-shaped choice (`{type: "function", function: {name}}`) names none: OpenAI's 400.
    if (!choice.name) throw missingParameter("tool_choice.name");
    out.tool_choice = {
      type: "function",
      function: { name: names.chatName(choice.name, choice.namespace ?? undefined) },
    };
  } else if (choice) {
    dropped.add(`tool_choice.${choice.type}`, "tool_choice.type");
  }
  return out;
}

/** The chat names of the tools an `allowed_tools` choice allows (functions and custom tools, by name). */
function allowedNames(choice: Exclude<ToolChoice, string>, names: ToolNames): Set<string> {
  const allowed = new Set<string>();
  for (const tool of choice.tools ?? []) {
    if (tool.name)
      allowed.add(names.chatName(tool.name, typeof tool.namespace === "string" ? tool.namespace : undefined));
  }
  return allowed;
}

type ToolChoice = NonNullable<ResponsesRequest["tool_choice"]>;

function plainFunction(name: string, tool: ResponsesTool, namespace: ResponsesTool | undefined): JsonObject {
  const fn: JsonObject = { name, parameters: tool.parameters ?? { type: "object", properties: {} } };
  const description = [namespace?.description, tool.description].filter(Boolean).join("\n\n");
  if (description) fn.description = description;
  if (tool.strict != null) fn.strict = tool.strict;
  return fn;
}

/** A Responses custom tool's function (custom-tool-function.ts): its grammar at the format's top. */
function customFunctionOf(name: string, tool: ResponsesTool): JsonObject {
  const format = tool.format;
  const grammar =
    format?.type === "grammar" && format.definition
      ? { syntax: format.syntax, definition: format.definition }
      : undefined;
  return customFunction(name, tool.description ?? undefined, grammar);
}
