import type { JsonObject } from "../../core/dialect.ts";
import type { OpenAIChatRequest } from "../openai-schema.ts";
import { withCachePoint } from "./converse-cache-point.ts";

/** Whether the request lets the model call its tools: some declared, and not `tool_choice: "none"`. */
export const offersTools = (request: OpenAIChatRequest): boolean =>
  (request.tools?.length ?? 0) > 0 && request.tool_choice !== "none";

/** The declared tools as Converse's `toolConfig`, with the caller's choice; none where none is offered. */
export function toolConfig(request: OpenAIChatRequest, caches: boolean): JsonObject | undefined {
  if (!request.tools?.length || !offersTools(request)) return undefined;
  const tools = request.tools.flatMap((tool) => {
    const fn = tool.function;
    const spec = {
      toolSpec: {
        name: fn.name,
        ...(fn.description !== undefined ? { description: fn.description } : {}),
        inputSchema: { json: fn.parameters ?? { type: "object", properties: {} } },
      },
    };
    return withCachePoint([spec], caches ? tool.cache_control : undefined);
  });
  const choice = request.tool_choice;
  const out: JsonObject = { tools };
  if (choice === "auto") out.toolChoice = { auto: {} };
  else if (choice === "required") out.toolChoice = { any: {} };
  else if (choice && choice !== "none") out.toolChoice = { tool: { name: choice.function.name } };
  return out;
}
