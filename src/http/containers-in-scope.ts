import { shown } from "../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { isWorkerName } from "../providers/upstream-name.ts";

/**
 * Refuses a request whose hosted tools name a container (code interpreter's `container: "cntr_…"`,
 * shell's `environment: { type: "container_reference", container_id }`) that no answer the upstream
 * gave the caller's scope ran in. A container lives in the upstream account every caller shares,
 * with the files earlier calls left in it, and the upstream runs code in whichever one it is named:
 * an id learnt elsewhere would reach another tenant's. A container is the caller's when a call the
 * upstream answered the caller's scope with ran in it: in the output of an answer of the chain the
 * request continues (`chain`, as stored; `held`, a connection's), or a call the request names by id
 * as the upstream answered it (`named`, items-in-scope.ts). Never an input item's: the caller wrote
 * those, and a stored turn keeps them as sent, under an id that may be a real call's too. Nor an
 * answer the gateway built (no holder) or a worker gave (`worker:<name>`): a worker's answer is its
 * upstream's JSON as sent, and that upstream is a tenant's own, which may name any container
 * (`vouches`).
 * `container: { type: "auto" }` names none, but OpenAI may then reuse a container a call in the
 * model's context ran in: so while a tool lets the upstream pick (`picksContainer`), each container
 * a call among the conversation's `items` (the chain's, the input's, those its references name)
 * ran in must be the caller's as well, else a 404 naming `input`. Without such a tool the items go
 * as sent, so a stateless caller replaying its own history keeps working. A container none of
 * those answers ran in is looked up, all at once, in the record of the containers the upstream's
 * answers to the scope ran calls in (`recorded`: ResponseStore.containersSeen, written for every
 * native answer, stored or not, `containersAfter`), which vouches for them for a `store: false`
 * caller too. Nothing is read or made for a request that names no container.
 */
export async function refuseForeignContainers(
  tools: unknown,
  items: readonly Iterable<unknown>[],
  chain: readonly Answer[],
  held: readonly string[],
  named: ReadonlySet<string>,
  recorded?: (containers: readonly string[]) => Promise<readonly string[]>,
): Promise<void> {
  // Each container the request names, with where it first does.
  const asked = new Map<string, "tools" | "input">();
  const ask = (id: string | undefined, param: "tools" | "input") => {
    if (id !== undefined && !asked.has(id)) asked.set(id, param);
  };
  const hosted = Array.isArray(tools) ? tools : [];
  for (const tool of hosted) ask(containerOfTool(tool), "tools");
  if (hosted.some(picksContainer))
    for (const some of items) for (const item of some) ask(containerOfCall(item), "input");
  if (asked.size === 0) return;
  const ranIn = containersRanIn(chain, held, named);
  const missing = [...asked.keys()].filter((id) => !ranIn.has(id));
  if (missing.length === 0) return;
  const seen = new Set(recorded ? await recorded(missing) : []);
  for (const [id, param] of asked) if (!ranIn.has(id) && !seen.has(id)) throw containerNotFound(id, param);
}

/**
 * How long the record of a scope's containers vouches for one after an answer last ran a call in
 * it: a day, where OpenAI lets a container idle 20 minutes by default (its `expires_after`) before
 * it expires. Entries older are deleted by the retention pass (gateway/start-retention.ts), not
 * as the record is written, which the answer waits for (ResponseStore.forgetContainers).
 */
export const CONTAINER_RECORD_MS = 24 * 60 * 60 * 1000;

/** The container a call item ran in, if it names one: a code interpreter call's, or a shell call's. */
export function containerOfCall(item: unknown): string | undefined {
  if (!isJsonObject(item)) return undefined;
  if (item.type === "code_interpreter_call")
    return typeof item.container_id === "string" ? item.container_id : undefined;
  if (item.type === "shell_call") return referencedContainer(item.environment);
  return undefined;
}

/** A stored answer: its response, and who gave it (item-references.ts `noteHolders`). */
interface Answer {
  readonly holder?: string | undefined;
  readonly response: JsonObject;
}

/**
 * Whether the calls of an answer given by `holder` vouch for the containers they name: only a
 * provider's own answer, natively given, does. Not a worker's: its upstream is a tenant's own, and
 * its JSON is stored as it sent it. Nor one with no holder: the gateway built it by translation, or
 * its holder is unknown, the answer kept by no upstream (`store: false`, Zero Data Retention) and
 * so stored as held by none, a worker's as well as a provider's: refused, not trusted.
 */
export const vouches = (holder: string | undefined): holder is string =>
  holder !== undefined && !isWorkerName(holder);

/**
 * `ranIn` (a held conversation's containers) with those `response`'s output ran in, when the
 * provider that answered it natively (`answeredBy`) `vouches` for them: `ranIn` itself when it adds
 * none, so a turn without a hosted tool's call makes nothing.
 */
export function containersAfter(
  ranIn: readonly string[] | undefined,
  response: JsonObject,
  answeredBy: string | undefined,
): readonly string[] | undefined {
  if (!vouches(answeredBy)) return ranIn;
  let more: string[] | undefined;
  for (const item of outputOf(response)) {
    const id = containerOfCall(item);
    if (id === undefined || ranIn?.includes(id) || more?.includes(id)) continue;
    more ??= [...(ranIn ?? [])];
    more.push(id);
  }
  return more ?? ranIn;
}

const outputOf = (response: JsonObject): readonly unknown[] =>
  Array.isArray(response.output) ? response.output : [];

/** The container a hosted tool names by id, if any. */
function containerOfTool(tool: unknown): string | undefined {
  if (!isJsonObject(tool)) return undefined;
  if (tool.type === "code_interpreter")
    return typeof tool.container === "string" ? tool.container : undefined;
  if (tool.type === "shell") return referencedContainer(tool.environment);
  return undefined;
}

/**
 * Whether `tools` hold a hosted tool whose calls may run in a container (code interpreter, shell):
 * only then may the answer add to the record of the scope's containers (`containersAfter`).
 */
export const runsInContainers = (tools: unknown): boolean =>
  Array.isArray(tools) &&
  tools.some((tool) => isJsonObject(tool) && (tool.type === "code_interpreter" || tool.type === "shell"));

/**
 * Whether a hosted tool lets the upstream pick its container, which may be one a call in the
 * model's context ran in: code interpreter's but one named by id; shell's but a reference or the
 * caller's own machine (`local`).
 */
function picksContainer(tool: unknown): boolean {
  if (!isJsonObject(tool)) return false;
  if (tool.type === "code_interpreter") return typeof tool.container !== "string";
  if (tool.type !== "shell") return false;
  const kind = isJsonObject(tool.environment) ? tool.environment.type : undefined;
  return kind !== "local" && kind !== "container_reference";
}

/** A `container_reference` environment's container id (a shell tool's, or a shell call's). */
function referencedContainer(environment: unknown): string | undefined {
  if (!isJsonObject(environment) || environment.type !== "container_reference") return undefined;
  return typeof environment.container_id === "string" ? environment.container_id : undefined;
}

/** The containers the upstream's answers to the caller's scope ran their calls in. */
function containersRanIn(
  chain: readonly Answer[],
  held: readonly string[],
  named: ReadonlySet<string>,
): Set<string> {
  const ranIn = new Set<string>([...held, ...named]);
  for (const link of chain) {
    if (!vouches(link.holder)) continue;
    for (const item of outputOf(link.response)) {
      const id = containerOfCall(item);
      if (id !== undefined) ranIn.add(id);
    }
  }
  return ranIn;
}

/** A 404 naming where the container was (item-references.ts `itemNotFound`, an unknown item's). */
const containerNotFound = (id: string, param: "tools" | "input") =>
  new GatewayError({
    status: 404,
    code: "not_found",
    message: `Container with id '${shown(id)}' not found: a container is passed to the upstream only from a response of yours that ran in it, which this request continues (previous_response_id) or whose call it passes by id (an item_reference or the call's own id); ${param === "tools" ? `or let the upstream pick one: code interpreter's container: {"type": "auto"}, shell's environment: {"type": "container_auto"}` : "a call naming another container goes only with no tool that lets the upstream pick one, which could reuse it"}`,
    param,
    openAICode: null,
  });
