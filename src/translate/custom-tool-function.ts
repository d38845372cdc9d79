import type { JsonObject } from "../core/dialect.ts";

/**
 * OpenAI's custom tools (free text in, no JSON schema: a Responses `custom` tool, a chat
 * `{type: "custom", custom}` tool) on an API that knows only functions: each becomes a function with
 * one string argument, its grammar (if any) told in the description, and the call's one argument is
 * the custom call's input. The Responses and chat translations share this one shape, so a call
 * reads back the same on both.
 */

/** The one argument a custom tool's function takes. */
export const CUSTOM_INPUT = "input";

/** A custom tool's grammar, as both APIs carry it (`lark`, `regex`). */
export interface CustomGrammar {
  readonly syntax?: string | undefined;
  readonly definition: string;
}

/**
 * The function a custom tool is offered as. A grammar cannot be enforced there: it is said in the
 * description, for the model to follow.
 */
export function customFunction(
  name: string,
  description: string | undefined,
  grammar: CustomGrammar | undefined,
): JsonObject {
  const input = grammar
    ? `The ${CUSTOM_INPUT} must be text in this ${grammar.syntax ?? ""} grammar:\n${grammar.definition}`
    : `The ${CUSTOM_INPUT} is free text, passed to the tool as is.`;
  return {
    name,
    description: [description, input].filter(Boolean).join("\n\n"),
    parameters: {
      type: "object",
      properties: { [CUSTOM_INPUT]: { type: "string", description: "The tool's whole input, as raw text." } },
      required: [CUSTOM_INPUT],
      additionalProperties: false,
    },
  };
}

/** A custom call's input as the function's arguments: what a call in history is sent as. */
export const customArguments = (input: string): string => JSON.stringify({ [CUSTOM_INPUT]: input });

/** The free-text input of a custom tool call, out of the function's arguments `{"input": "..."}`. */
export function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      CUSTOM_INPUT in parsed &&
      typeof parsed[CUSTOM_INPUT] === "string"
    ) {
      return parsed[CUSTOM_INPUT];
    }
  } catch {
    // a model that wrote the raw text instead of JSON: that text is the input
  }
  return args;
}
