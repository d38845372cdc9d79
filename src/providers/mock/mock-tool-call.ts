import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { schemaInstance } from "./schema-instance.ts";

/** The function call a request's `tool_choice` makes the mock answer with. */
export interface ForcedCall {
  readonly name: string;
  /** The arguments as JSON text: the smallest value valid against the function's parameters. */
  readonly arguments: string;
  /**
   * How the choice ended, as OpenAI ends it (and vLLM, which matched it): `tool_calls` for
   * `required`, `stop` for a function named (vllm-project/vllm#25054 lists OpenAI's answers).
   */
  readonly finish: "tool_calls" | "stop";
}

/**
 * The call a chat request's `tool_choice` forces, where a model must call a tool: `required` (the
 * first function of `tools`, as the mock picks no other way) or `{type: "function", function:
 * {name}}` naming one of `tools`. Undefined where the model is left to choose (`auto`, none given)
 * or may not call (`none`), and for a name no function of `tools` has: the mock answers in text,
 * as before. Anthropic's `tool_choice` (`any`, `tool`) and the Responses API's reach it translated.
 */
export function forcedToolCall(body: JsonObject, said: string): ForcedCall | undefined {
  const choice = body.tool_choice;
  const named =
    isJsonObject(choice) && choice.type === "function" && isJsonObject(choice.function)
      ? choice.function.name
      : undefined;
  if (choice !== "required" && named === undefined) return undefined;
  const functions = (Array.isArray(body.tools) ? body.tools : []).flatMap((tool) =>
    isJsonObject(tool) && tool.type === "function" && isJsonObject(tool.function) ? [tool.function] : [],
  );
  const chosen = named === undefined ? functions[0] : functions.find((f) => f.name === named);
  if (chosen === undefined || typeof chosen.name !== "string") return undefined;
  return {
    name: chosen.name,
    // A function without parameters takes an empty object, as OpenAI's tools default them.
    arguments: JSON.stringify(schemaInstance(chosen.parameters ?? { type: "object" }, said)),
    finish: named === undefined ? "tool_calls" : "stop",
  };
}

/**
 * A call's id, `call_` and letters and digits alone as OpenAI's are (a client's `x-request-id`,
 * which names the answer, may hold `.` or `:`, which Anthropic's tool_use ids may not): the same
 * for the same answer and choice, as the mock's answers are.
 */
export function toolCallId(answerId: string, choice: number): string {
  let hash = 2166136261;
  for (let c = 0; c < answerId.length; c++) hash = Math.imul(hash ^ answerId.charCodeAt(c), 16777619);
  return `call_${(hash >>> 0).toString(36)}${choice}`;
}
