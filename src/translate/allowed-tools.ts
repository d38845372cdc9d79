import { z } from "zod";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { CallerPaths } from "./caller-paths.ts";
import { parseBody } from "./parse-body.ts";

/**
 * OpenAI's `allowed_tools` tool choice (chat's, and the Responses API's): the model may call only
 * the tools it names, among those declared, as its mode says — `auto` (call one or answer) or
 * `required` (call one). Only OpenAI's own APIs read that choice; every chat server and every API
 * a chat call goes on to (Anthropic's, Gemini's, Converse) reads the same ask as the tools it allows
 * offered alone, its mode the `tool_choice`. Both translations write it so, through `offerAllowed`.
 */
export interface AllowedOffer<T> {
  /** The declared chat tools the choice allows, in their order. */
  readonly tools: T[];
  /** The chat `tool_choice` the mode means; none when the choice allows none of the tools declared. */
  readonly toolChoice: "auto" | "required" | undefined;
}

/** Of the declared chat `tools` (`{type: "function", function: {name}}`), those `allowed` names. */
export function offerAllowed<T>(
  tools: readonly T[],
  allowed: ReadonlySet<string>,
  mode: unknown,
): AllowedOffer<T> {
  const offered = tools.filter((tool) => allowed.has(functionName(tool) ?? ""));
  if (offered.length === 0) return { tools: offered, toolChoice: undefined };
  return { tools: offered, toolChoice: mode === "required" ? "required" : "auto" };
}

const functionName = (tool: unknown): string | undefined =>
  isJsonObject(tool) && isJsonObject(tool.function) && typeof tool.function.name === "string"
    ? tool.function.name
    : undefined;

/** Chat's `allowed_tools` choice, as OpenAI's SDK types it (ChatCompletionAllowedToolChoice). */
const chatAllowedChoice = builtOnFirstUse("chat allowed_tools choice schema", () =>
  z.looseObject({
    type: z.literal("allowed_tools"),
    allowed_tools: z.looseObject({
      mode: z.enum(["auto", "required"]),
      tools: z.array(
        z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).optional() }),
      ),
    }),
  }),
);

/** The chat request's `tool_choice` is OpenAI's `allowed_tools`, which `withAllowedToolsOffered` writes. */
export const choosesAllowedTools = (body: JsonObject): boolean =>
  isJsonObject(body.tool_choice) && body.tool_choice.type === "allowed_tools";

/**
 * A chat request for a translated route with its `allowed_tools` choice written as every target
 * reads it (`offerAllowed`); any other request as it is. A choice that allows none of the tools
 * declared leaves neither tools nor a choice nor `parallel_tool_calls` (as a Responses caller's
 * does): the model answers without them. One not shaped as OpenAI's API takes it is a 400 naming
 * the field. Each tool is marked in `paths` with its index among those the caller declared: what
 * a later step says of `tools.0` is said of the caller's `tools[2]` it was (caller-paths.ts).
 */
export function withAllowedToolsOffered(body: JsonObject, paths?: CallerPaths): JsonObject {
  if (!choosesAllowedTools(body)) return body;
  const choice = body.tool_choice;
  const { allowed_tools } = parseBody(chatAllowedChoice(), choice, "request", (path) =>
    ["tool_choice", ...path].map(String).join("."),
  );
  const names = new Set<string>();
  for (const tool of allowed_tools.tools) if (tool.function) names.add(tool.function.name);
  const declared = Array.isArray(body.tools) ? body.tools : [];
  if (paths)
    for (const [i, tool] of declared.entries()) if (isJsonObject(tool)) paths.mark(tool, `tools[${i}]`);
  const offer = offerAllowed(declared, names, allowed_tools.mode);
  paths?.wroteTools(offer.tools);
  const { tools: _declared, tool_choice: _allowed, ...rest } = body;
  // Its `parallel_tool_calls` asked of the tools the choice left out (the Agents SDK sends it beside
  // them): gone with them, not named as a setting the caller sent without tools.
  if (offer.tools.length === 0 && declared.length > 0) delete rest.parallel_tool_calls;
  return {
    ...rest,
    ...(offer.tools.length > 0 ? { tools: offer.tools } : {}),
    ...(offer.toolChoice ? { tool_choice: offer.toolChoice } : {}),
  };
}
