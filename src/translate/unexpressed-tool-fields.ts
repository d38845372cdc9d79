import type { JsonObject } from "../core/dialect.ts";
import type { Dropped } from "./dropped.ts";

/**
 * Names (or, under `reject`, refuses) what an Anthropic client tool asks that a chat function has
 * no place for, at `path`, the tool's place in the caller's request: `input_examples` (examples the
 * model would read), and `allowed_callers` beyond a direct call (a tool only code execution may call,
 * sent as one the model calls itself). Left unnamed, as changing no answer the caller can act on:
 * `cache_control`, a caching hint (a chat upstream caches a prompt's prefix by itself);
 * `eager_input_streaming` (a chat stream's arguments come in pieces anyway); and `defer_loading`, a
 * tool held back until tool search finds it, which goes loaded: the model may call it at once, and
 * the caller declared it (Claude Code sends a placeholder so on every request, never to be called).
 */
export function nameUnexpressedToolFields(tool: JsonObject, path: string, dropped: Dropped): void {
  if (Array.isArray(tool.input_examples) && tool.input_examples.length > 0)
    dropped.add("tools.input_examples", `${path}.input_examples`);
  const callers = tool.allowed_callers;
  if (Array.isArray(callers) && callers.some((caller) => caller !== "direct"))
    dropped.add("tools.allowed_callers", `${path}.allowed_callers`);
}
