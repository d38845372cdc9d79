import { z } from "zod";
import { type KeyView, positionOf } from "../../auth/key-view.ts";
import { decimalIntField } from "../../core/decimal-int.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { keysetPages } from "../../core/keyset-pages.ts";
import { tenantFilter } from "../../core/tenant-filter.ts";
import type { KeyPosition } from "../../storage/storage.ts";

/**
 * `GET /admin/api/keys` paging: with `limit` one page and the `nextCursor` of the next (what the
 * web UI and `mindgw keys list` read), without it every key. A parameter it does not read is
 * refused (400 naming it), as the audit query's is.
 */
export const keyListQuerySchema = z.strictObject({
  tenant: tenantFilter,
  /** Only the keys of this name (what the web UI's Revoke counts before it offers the name). */
  name: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      "Only the keys of this name; the active ones are what `POST /admin/api/keys/{name}/revoke` ends (with `tenant`, those of that tenant, as `?tenant=` there)",
    ),
  include_revoked: z
    .enum(["true", "false"])
    .optional()
    .describe("`true` lists revoked and expired keys too; `false` (or none) the active ones alone"),
  limit: decimalIntField(1, 1000)
    .optional()
    .describe("One page of this many keys, and the `nextCursor` of the next; without it, every key"),
  cursor: z.string().min(1).max(200).optional().describe("The `nextCursor` of the previous page"),
});

export interface KeyPage {
  keys: KeyView[];
  /** Null on the last page (and when every key was asked for). */
  nextCursor: string | null;
}

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
  throw badRequest("cursor: not a page's next cursor", "cursor");
}

/** The cursor of the page after `key`. */
export const cursorOf = (key: KeyView) => encodeCursor(positionOf(key));

/** Reads at most `limit` keys after a position, newest first. */
export type ReadKeys = (after: KeyPosition | null, limit: number) => Promise<KeyView[]>;

/** How many keys the whole list (no `limit`) reads at once. */
const WHOLE_LIST_PAGE = 1000;

/**
 * One page of keys after `cursor`, by (created, id): a key created or revoked between two pages
 * neither repeats nor hides another. A page is one indexed read of `limit` + 1 keys (the one more
 * says whether another page follows), never the key table whole.
 */
export async function keyPage(read: ReadKeys, limit: number | undefined, cursor?: string): Promise<KeyPage> {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  if (limit === undefined) {
    const pages = keysetPages((from) => read(from, WHOLE_LIST_PAGE), positionOf, WHOLE_LIST_PAGE, after);
    return { keys: (await Array.fromAsync(pages)).flat(), nextCursor: null };
  }
  const keys = await read(after, limit + 1);
  const last = keys[limit - 1];
  if (keys.length <= limit || last === undefined) return { keys, nextCursor: null };
  return { keys: keys.slice(0, limit), nextCursor: cursorOf(last) };
}
