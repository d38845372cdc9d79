import { z } from "zod";
import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";

/**
 * `GET /v1/models`' query as Anthropic's API takes it: a page of `limit` models after or before a
 * cursor (its SDK's `models.list` pages on with `after_id`, or `before_id` when it started with
 * one), and the lifecycle stages wanted. Other parameters are ignored, as Anthropic ignores them
 * (its SDK's beta resources add `beta=true`).
 */
export const anthropicModelsQuerySchema = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(20)
      .describe("Models a page (1–1000, default 20)"),
    after_id: z.string().min(1).optional().describe("The page right after this model"),
    before_id: z.string().min(1).optional().describe("The page right before this model"),
    lifecycle: z
      .array(z.enum(["active", "deprecated", "retired"]))
      .optional()
      .describe("Only models at these stages (`lifecycle[]=active`); every model here is active"),
  })
  .refine((query) => query.after_id === undefined || query.before_id === undefined, {
    message: "give after_id or before_id, not both",
  });

export type AnthropicModelsQuery = z.infer<typeof anthropicModelsQuerySchema>;

/** The query of `url` as the schema reads it: `lifecycle[]` (as the SDK writes an array) and `lifecycle` both counted. */
export function anthropicModelsQueryOf(url: string): Record<string, unknown> {
  const params = new URL(url).searchParams;
  const query: Record<string, unknown> = Object.fromEntries(params);
  const lifecycle = [...params.getAll("lifecycle[]"), ...params.getAll("lifecycle")];
  delete query["lifecycle[]"];
  if (lifecycle.length > 0) query.lifecycle = lifecycle;
  return query;
}

/**
 * A model as Anthropic's Models API describes one. The gateway knows a model by its name only:
 * no release date (the epoch, as Anthropic gives a model whose date is unknown), no line and no
 * limits or capabilities (null, as the API says of what it does not know); every model it routes
 * is active.
 */
export const anthropicModelInfo = (id: string) => ({
  type: "model" as const,
  id,
  display_name: id,
  created_at: "1970-01-01T00:00:00Z",
  lifecycle: "active" as const,
  deprecated_at: null,
  retires_at: null,
  line: null,
  capabilities: null,
  max_input_tokens: null,
  max_tokens: null,
});

/**
 * One page of `ids` in Anthropic's list shape (`data`, `has_more`, `first_id`, `last_id`): the
 * first `limit` after `after_id`, or the last `limit` before `before_id`; `has_more` says whether
 * more lie on in that direction. A cursor that names no model in the list is a 400 (a model
 * dropped between pages by a config reload), not an empty page that would end the listing quietly.
 */
export function anthropicModelPage(ids: readonly string[], query: AnthropicModelsQuery) {
  const listed = query.lifecycle === undefined || query.lifecycle.includes("active") ? ids : [];
  const backwards = query.before_id !== undefined;
  let start: number;
  let end: number;
  if (backwards) {
    end = cursorAt(listed, query.before_id, "before_id");
    start = Math.max(0, end - query.limit);
  } else {
    start = query.after_id === undefined ? 0 : cursorAt(listed, query.after_id, "after_id") + 1;
    end = Math.min(listed.length, start + query.limit);
  }
  const data = listed.slice(start, end).map(anthropicModelInfo);
  return {
    data,
    has_more: backwards ? start > 0 : end < listed.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

/** Where `id` is in `listed` (an empty list has no cursor to miss: its pages are all empty). */
function cursorAt(listed: readonly string[], id: string | undefined, param: string): number {
  if (listed.length === 0 || id === undefined) return 0;
  const at = listed.indexOf(id);
  if (at < 0) throw badRequest(`${param}: no model \`${shown(id)}\` in this list`, param);
  return at;
}
