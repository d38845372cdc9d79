import { badRequest } from "../core/gateway-error.ts";

/** A position in the log: the last row a page returned. */
export interface AuditPosition {
  startedAt: number;
  id: number;
}

/**
 * Opaque to clients; (started_at, rowid) is unique and does not move when rows are added. It is a
 * place in the order of start, not of writing: a row written later with an earlier start lands
 * behind it (audit-query.ts).
 */
export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): AuditPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every(Number.isSafeInteger)) {
      return { startedAt: value[0] as number, id: value[1] as number };
    }
  } catch {
    // fall through to the uniform error
  }
  throw badRequest("cursor: not a page's next cursor", "cursor");
}
