import { createHash } from "node:crypto";
import { badRequest } from "../core/gateway-error.ts";
import type { AuditFilter } from "./audit-query-schema.ts";

/** A position in the log: the last row a page returned. */
export interface AuditPosition {
  startedAt: number;
  id: number;
}

/**
 * What a cursor is bound to: the order and every filter but the time bounds. A position means the
 * next page only under the query that reached it; the time bounds may move (`--since 1h` is
 * another `from` at each run, the web UI's "Load older" lowers `to`) without making another walk.
 */
type CursorQuery = Pick<
  AuditFilter,
  "order" | "key" | "tenant" | "model" | "route" | "status" | "app" | "exclude_front_door"
>;

/** The query's mark in its cursors: 64 bits of a SHA-256 of its bound fields, the same on every node. */
function queryMark(query: CursorQuery): string {
  const bound = [
    query.order,
    query.key,
    query.tenant,
    query.model,
    query.route,
    query.status,
    query.app,
    query.exclude_front_door,
  ].map((value) => value ?? null);
  return createHash("sha256").update(JSON.stringify(bound)).digest().subarray(0, 8).toString("base64url");
}

/**
 * Opaque to clients; (started_at, rowid) is unique and does not move when rows are added. It is a
 * place in the order of start, not of writing: a row written later with an earlier start lands
 * behind it (audit-query.ts). It carries the mark of the query that made it (`queryMark`).
 */
export function encodeCursor(position: AuditPosition, query: CursorQuery): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.id, queryMark(query)])).toString(
    "base64url",
  );
}

/**
 * The position a cursor names, refused (400, `cursor`) when it is no cursor or was made by a query of
 * another order or other filters. A cursor of a release before the mark (two numbers) is read as it
 * was, unchecked: one still held across an upgrade goes on.
 */
export function decodeCursor(cursor: string, query: CursorQuery): AuditPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && (value.length === 2 || value.length === 3)) {
    const [startedAt, id, mark] = value as unknown[];
    if (Number.isSafeInteger(startedAt) && Number.isSafeInteger(id)) {
      if (value.length === 3 && mark !== queryMark(query))
        throw badRequest(
          "cursor: made for another query: give it with the order and filters of the page that printed it, or leave it out to start from the first page",
          "cursor",
        );
      if (value.length === 2 || typeof mark === "string")
        return { startedAt: startedAt as number, id: id as number };
    }
  }
  throw badRequest("cursor: not a page's next cursor", "cursor");
}
