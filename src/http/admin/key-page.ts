import { z } from "zod";
import type { KeyView } from "../../auth/key-view.ts";
import { badRequest } from "../../core/gateway-error.ts";

/**
 * `GET /admin/api/keys` paging: without `limit` every key (what `mindgw keys list` reads), with it
 * one page and the `nextCursor` of the next.
 */
export const keyListQuerySchema = z.object({
  tenant: z.string().max(512).optional(),
  /** `true` lists revoked and expired keys too. */
  include_revoked: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
});

export interface KeyPage {
  keys: KeyView[];
  /** Null on the last page (and when every key was asked for). */
  nextCursor: string | null;
}

/** A key's place in the list: newest first, the id breaking a tie within one millisecond. */
interface KeyPosition {
  createdAt: number;
  id: string;
}

const positionOf = (key: KeyView): KeyPosition => ({ createdAt: Date.parse(key.created_at), id: key.id });

/** Whether `a` comes before `b` in the list's order. */
const before = (a: KeyPosition, b: KeyPosition) =>
  a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;

const encodeCursor = (position: KeyPosition) =>
  Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");

function decodeCursor(cursor: string): KeyPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === "string")
      return { createdAt: value[0] as number, id: value[1] };
  } catch {
    // fall through to the uniform error
  }
  throw badRequest("invalid cursor", "cursor");
}

/**
 * One page of keys after `cursor`, by (created, id): a key created or revoked between two pages
 * neither repeats nor hides another. The key table is read whole (it is small beside the audit
 * log); what a page bounds is the answer, and the per-key calls the page makes after it (spend).
 */
export function keyPage(keys: readonly KeyView[], limit: number | undefined, cursor?: string): KeyPage {
  const sorted = keys
    .map((key) => ({ key, position: positionOf(key) }))
    .sort((a, b) => (before(a.position, b.position) ? -1 : 1));
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const rest = after === null ? sorted : sorted.filter((k) => before(after, k.position));
  if (limit === undefined || rest.length <= limit) return { keys: rest.map((k) => k.key), nextCursor: null };
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    keys: page.map((k) => k.key),
    nextCursor: last === undefined ? null : encodeCursor(last.position),
  };
}
