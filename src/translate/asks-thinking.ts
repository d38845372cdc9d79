import { isJsonObject } from "../core/dialect.ts";
import { isUnset } from "./uncarried-fields.ts";

/**
 * Whether a request's Anthropic `thinking` asks for anything: set, and not `{ type: "disabled" }`,
 * which is every model's default. What the router names for a model that does not think
 * (chat-target.ts) and what sends Claude on Converse its past thinking (converse-thinking.ts).
 */
export const asksThinking = (thinking: unknown): boolean =>
  !isUnset(thinking) && !(isJsonObject(thinking) && thinking.type === "disabled");
