import { createHash } from "node:crypto";
import type { CursorSeal } from "../core/cursor-seal.ts";
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

/** The mark's bytes; a sealed cursor holds the start, the row id (8 bytes each) and the mark. */
const MARK = 8;
const SEALED = 16 + MARK;

/** The query's mark in its cursors: 64 bits of a SHA-256 of its bound fields, the same on every node. */
function queryMark(query: CursorQuery): Buffer {
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
  return createHash("sha256").update(JSON.stringify(bound)).digest().subarray(0, MARK);
}

/**
 * Opaque to clients; (started_at, rowid) is unique and does not move when rows are added. It is a
 * place in the order of start, not of writing: a row written later with an earlier start lands
 * behind it (audit-query.ts). It carries the mark of the query that made it (`queryMark`).
 *
 * With `seal` (a reader held to its tenant's rows) the cursor is sealed (core/cursor-seal.ts), at one
 * length whatever the numbers: the row id counts every tenant's rows, and a reader that read it
 * from its own rows' cursors read from the gaps how many requests other tenants made. Without
 * (an admin, `mindgw audit` on the database) it is the position and mark in the clear, as before,
 * so a cursor the gateway printed goes on in the command on the database and back.
 */
export function encodeCursor(position: AuditPosition, query: CursorQuery, seal?: CursorSeal): string {
  if (seal !== undefined) {
    const bytes = Buffer.alloc(SEALED);
    bytes.writeBigInt64BE(BigInt(position.startedAt), 0);
    bytes.writeBigInt64BE(BigInt(position.id), 8);
    queryMark(query).copy(bytes, 16);
    return seal.seal(bytes);
  }
  return Buffer.from(
    JSON.stringify([position.startedAt, position.id, queryMark(query).toString("base64url")]),
  ).toString("base64url");
}

const notACursor = () => badRequest("cursor: not a page's next cursor", "cursor");
const anotherQuery = () =>
  badRequest(
    "cursor: made for another query: give it with the order and filters of the page that printed it, or leave it out to start from the first page",
    "cursor",
  );

/**
 * The position a cursor names, refused (400, `cursor`) when it is no cursor or was made by a query of
 * another order or other filters. A cursor of a release before the mark (two numbers) is read as it
 * was, unchecked: one still held across an upgrade goes on.
 *
 * With `seal`, only a cursor it sealed is one: a position in the clear, made up or a release
 * before's, is refused, since a reader that walks from positions of its choosing learns its own
 * rows' ids by bisection (and so the gaps sealing hides). A tenant reader's cursor held across the
 * upgrade that sealed them is refused once, and its walk starts again from the first page.
 */
export function decodeCursor(cursor: string, query: CursorQuery, seal?: CursorSeal): AuditPosition {
  if (seal !== undefined) {
    const bytes = seal.open(cursor);
    if (bytes === undefined || bytes.length !== SEALED) throw notACursor();
    const sealed = Buffer.from(bytes);
    if (!sealed.subarray(16).equals(queryMark(query))) throw anotherQuery();
    return { startedAt: Number(sealed.readBigInt64BE(0)), id: Number(sealed.readBigInt64BE(8)) };
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && (value.length === 2 || value.length === 3)) {
    const [startedAt, id, mark] = value as unknown[];
    if (Number.isSafeInteger(startedAt) && Number.isSafeInteger(id)) {
      if (value.length === 3 && mark !== queryMark(query).toString("base64url")) throw anotherQuery();
      if (value.length === 2 || typeof mark === "string")
        return { startedAt: startedAt as number, id: id as number };
    }
  }
  throw notACursor();
}
