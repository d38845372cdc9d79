import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { missingParameter } from "../core/missing-parameter.ts";
import { type CustomGrammar, customArguments, customFunction, customInput } from "./custom-tool-function.ts";

/**
 * A chat caller's custom tools (`{type: "custom", custom: {name, description?, format?}}`, OpenAI's
 * ChatCompletionCustomTool) for a translated route, whose APIs know only functions: offered as
 * functions of one string argument (custom-tool-function.ts, as a Responses caller's are), the
 * named choice `{type: "custom", custom: {name}}` a function choice, and a custom call sent back in
 * history (`{type: "custom", custom: {name, input}}`) a function call of that input. The model's
 * calls of those functions go back as custom calls (`customCallsBack`, custom-call-chunks.ts).
 */
export interface ChatCustomTools {
  /** The request with every custom tool, choice and call written as a function's. */
  readonly body: JsonObject;
  /** The custom tools' names: a call of one of them is a custom call. */
  readonly names: ReadonlySet<string>;
  /** Where the caller's `tools` holds a custom tool: an upstream's word on its schema is of it. */
  readonly at: ReadonlySet<number>;
}

const isCustom = (value: unknown): value is JsonObject => isJsonObject(value) && value.type === "custom";

/**
 * Whether the request declares, chooses or sent back a custom tool: a loop over what it has, no
 * object made, so a request without one (every other) pays no more.
 */
function usesCustomTools(body: JsonObject): boolean {
  const { tools, tool_choice: choice, messages } = body;
  if (Array.isArray(tools)) for (const tool of tools) if (isCustom(tool)) return true;
  if (isCustom(choice)) return true;
  if (Array.isArray(messages))
    for (const message of messages)
      if (isJsonObject(message) && Array.isArray(message.tool_calls))
        for (const call of message.tool_calls) if (isCustom(call)) return true;
  return false;
}

/** The request with its custom tools as functions, or undefined when it has none. */
export function customToolsAsFunctions(body: JsonObject): ChatCustomTools | undefined {
  if (!usesCustomTools(body)) return undefined;
  const names = new Set<string>();
  const at = new Set<number>();
  const out: JsonObject = { ...body };
  if (Array.isArray(body.tools)) {
    out.tools = body.tools.map((tool, i) => {
      if (!isCustom(tool)) return tool;
      const name = customName(tool, `tools[${i}].custom.name`);
      names.add(name);
      at.add(i);
      return { type: "function", function: customToolFunction(name, tool.custom) };
    });
  }
  const choice = body.tool_choice;
  if (isCustom(choice)) {
    out.tool_choice = functionChoice(customName(choice, "tool_choice.custom.name"));
  } else if (isJsonObject(choice) && choice.type === "allowed_tools") {
    out.tool_choice = allowedAsFunctions(choice);
  }
  if (Array.isArray(body.messages)) out.messages = body.messages.map(withCallsAsFunctions);
  return { body: out, names, at };
}

/**
 * The caller's name for a field of its request that a translation named by the function it sent
 * (`tools[1].function.parameters…`, chat-field-names.ts): for a custom tool, whose schema is the
 * gateway's own (custom-tool-function.ts), the tool it sent, `tools[1].custom`; any other as it is.
 */
export function customToolField(field: string, at: ReadonlySet<number>): string {
  const tool = FUNCTION_SCHEMA.exec(field);
  return tool && at.has(Number(tool[1])) ? `tools[${tool[1]}].custom` : field;
}

const FUNCTION_SCHEMA = /^tools\[(\d+)\]\.function\.parameters(?:\.|$)/;

/** A custom tool's, choice's or call's `custom.name`; missing, OpenAI's 400 naming it. */
function customName(holder: JsonObject, param: string): string {
  const custom = holder.custom;
  if (isJsonObject(custom) && typeof custom.name === "string" && custom.name !== "") return custom.name;
  throw missingParameter(param);
}

/** Chat's grammar format sits under `format.grammar` (the Responses API's at the format's top). */
function customToolFunction(name: string, custom: unknown): JsonObject {
  const fields = isJsonObject(custom) ? custom : {};
  const description = typeof fields.description === "string" ? fields.description : undefined;
  return customFunction(name, description, grammarOf(fields.format));
}

function grammarOf(format: unknown): CustomGrammar | undefined {
  if (!isJsonObject(format) || format.type !== "grammar" || !isJsonObject(format.grammar)) return undefined;
  const { definition, syntax } = format.grammar;
  if (typeof definition !== "string" || definition === "") return undefined;
  return { definition, syntax: typeof syntax === "string" ? syntax : undefined };
}

const functionChoice = (name: string): JsonObject => ({ type: "function", function: { name } });

/** An `allowed_tools` choice's custom tools (`{type: "custom", custom: {name}}`) as functions, as the offer reads them. */
function allowedAsFunctions(choice: JsonObject): JsonObject {
  const allowed = choice.allowed_tools;
  if (!isJsonObject(allowed) || !Array.isArray(allowed.tools)) return choice;
  const tools = allowed.tools.map((tool, i) =>
    isCustom(tool)
      ? functionChoice(customName(tool, `tool_choice.allowed_tools.tools[${i}].custom.name`))
      : tool,
  );
  return { ...choice, allowed_tools: { ...allowed, tools } };
}

/** An assistant turn's custom calls as function calls of their input; any other message as it is. */
function withCallsAsFunctions(message: unknown, m: number): unknown {
  if (!isJsonObject(message) || !Array.isArray(message.tool_calls)) return message;
  const calls = message.tool_calls;
  if (!calls.some(isCustom)) return message;
  return {
    ...message,
    tool_calls: calls.map((call, c) => {
      if (!isCustom(call)) return call;
      const name = customName(call, `messages[${m}].tool_calls[${c}].custom.name`);
      const input =
        isJsonObject(call.custom) && typeof call.custom.input === "string" ? call.custom.input : "";
      return { id: call.id, type: "function", function: { name, arguments: customArguments(input) } };
    }),
  };
}

/**
 * A whole chat answer with each call of a custom tool's function written as OpenAI writes a custom
 * call (ChatCompletionMessageCustomToolCall): `{id, type: "custom", custom: {name, input}}`. In
 * place: the answer is the translation's own, made for this caller.
 */
export function customCallsBack(answer: JsonObject, names: ReadonlySet<string>): JsonObject {
  if (!Array.isArray(answer.choices)) return answer;
  for (const choice of answer.choices) {
    const calls =
      isJsonObject(choice) && isJsonObject(choice.message) ? choice.message.tool_calls : undefined;
    if (!Array.isArray(calls)) continue;
    for (const [i, call] of calls.entries()) {
      const fn = isJsonObject(call) ? call.function : undefined;
      if (!isJsonObject(call) || !isJsonObject(fn) || typeof fn.name !== "string" || !names.has(fn.name))
        continue;
      const args = typeof fn.arguments === "string" ? fn.arguments : "";
      calls[i] = { id: call.id, type: "custom", custom: { name: fn.name, input: customInput(args) } };
    }
  }
  return answer;
}
