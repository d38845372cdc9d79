import { shown } from "../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";

/**
 * Refuses a request whose hosted tools name a container (code interpreter's `container: "cntr_…"`,
 * shell's `environment: { type: "container_reference", container_id }`) that no response of the
 * caller's ran in. A container lives in the upstream account every caller shares, with the files
 * earlier calls left in it, and the upstream runs code in whichever one it is named: an id learnt
 * elsewhere would reach another tenant's. A container is the caller's when a call item the caller's
 * scope holds names it: in the conversation the request continues (`history`), or an item it passes
 * by id that the scope's stored responses hold (`named`, the stored copies, never the caller's own
 * words). `container: { type: "auto" }` names none and goes as sent. Nothing is read or made for a
 * request whose tools name no container.
 */
export function refuseForeignContainers(
  tools: unknown,
  history: readonly JsonObject[],
  named: ReadonlyMap<string, JsonObject>,
): void {
  if (!Array.isArray(tools)) return;
  let held: Set<string> | undefined;
  for (const tool of tools) {
    const id = containerOfTool(tool);
    if (id === undefined) continue;
    held ??= heldContainers(history, named);
    if (!held.has(id)) throw containerNotFound(id);
  }
}

/** The container a hosted tool names by id, if any. */
function containerOfTool(tool: unknown): string | undefined {
  if (!isJsonObject(tool)) return undefined;
  if (tool.type === "code_interpreter")
    return typeof tool.container === "string" ? tool.container : undefined;
  if (tool.type === "shell") return referencedContainer(tool.environment);
  return undefined;
}

/** A `container_reference` environment's container id (a shell tool's, or a shell call's). */
function referencedContainer(environment: unknown): string | undefined {
  if (!isJsonObject(environment) || environment.type !== "container_reference") return undefined;
  return typeof environment.container_id === "string" ? environment.container_id : undefined;
}

/** The containers the caller's own call items ran in. */
function heldContainers(history: readonly JsonObject[], named: ReadonlyMap<string, JsonObject>): Set<string> {
  const held = new Set<string>();
  const note = (item: JsonObject) => {
    const id =
      item.type === "code_interpreter_call"
        ? item.container_id
        : item.type === "shell_call"
          ? referencedContainer(item.environment)
          : undefined;
    if (typeof id === "string") held.add(id);
  };
  for (const item of history) note(item);
  for (const item of named.values()) note(item);
  return held;
}

/** A 404 naming `tools`, as an unknown item's names `input` (item-references.ts `itemNotFound`). */
const containerNotFound = (id: string) =>
  new GatewayError({
    status: 404,
    code: "not_found",
    message: `Container with id '${shown(id)}' not found: a container is passed to the upstream only from a response of yours that ran in it, which this request continues (previous_response_id) or whose call it passes by id (an item_reference)`,
    param: "tools",
    openAICode: null,
  });
