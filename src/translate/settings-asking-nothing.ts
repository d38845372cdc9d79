import type { JsonObject } from "../core/dialect.ts";
import type { Dropped } from "./dropped.ts";

/**
 * `body` without what asks for nothing on a translated route, each named in `dropped` (refused
 * under `translation.unsupported: reject`): `tools: []`; without tools, a `tool_choice` of `none`
 * or `auto` (one that asks for a call is refused before: forced-call-without-tools.ts) and
 * `parallel_tool_calls`; `stream_options` on a call that does not stream. OpenAI's API refuses
 * each, but clients written for OpenAI-compatible servers (vLLM takes them) send them, and an
 * answer without them is the answer asked for.
 */
export function withoutSettingsAskingNothing(body: JsonObject, dropped: Dropped): JsonObject {
  const idle: [field: string, name: string, why: string][] = [];
  const noTools = !Array.isArray(body.tools) || body.tools.length === 0;
  if (Array.isArray(body.tools) && body.tools.length === 0)
    idle.push(["tools", "tools (empty)", "is an empty list, which asks for nothing"]);
  if (noTools)
    for (const field of ["tool_choice", "parallel_tool_calls"])
      if (body[field] != null) idle.push([field, `${field} (no tools)`, "asks for nothing without tools"]);
  if (body.stream_options != null && body.stream !== true)
    idle.push([
      "stream_options",
      "stream_options (no stream)",
      "asks for nothing of a call that does not stream",
    ]);
  if (idle.length === 0) return body;
  const kept = { ...body };
  for (const [field, name, why] of idle) {
    dropped.add(name, field, why);
    delete kept[field];
  }
  return kept;
}
