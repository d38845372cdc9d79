import { isJwtSubject, KEY_ID_PREFIX, subjectIdParts } from "../auth/caller-id.ts";

/** A caller as the pages show it: who, what kind of caller, and the id filters select it by. */
export interface CallerView {
  /** Who, as a person reads it: a key's name, a JWT's subject, a single sign-on user. */
  name: string;
  /** What the caller is, and where: `key`, `JWT, tenant acme`, `single sign-on`; null when unknown. */
  kind: string | null;
  /**
   * What a request's `keyId` or an action's `actorKeyId` knows it by, and what the pages filter
   * on: never the name alone, which a key and a JWT's name claim may share. Null in rows recorded
   * without one (a refused request, an action recorded before callers were kept by id).
   */
  id: string | null;
}

/**
 * How the Requests and Activity pages (and the Shadow page's pairs) show a caller, from its id and
 * the name recorded beside it: the id says what kind it is (caller-id.ts), so a JWT subject reads
 * as itself and its tenant, not as `jwt:<tenant>:<name>` beside keys shown by their names.
 * Null when the row names nobody. (Text, which has one word for a caller, writes it by
 * audit/caller-label.ts.)
 */
export function callerView(id: string | null, name: string | null): CallerView | null {
  if (id === null) return name === null ? null : { name, kind: null, id };
  const subject = subjectIdParts(id);
  if (isJwtSubject(id) && subject) return { name: subject.name, kind: `JWT, tenant ${subject.tenant}`, id };
  if (subject?.via === "session") return { name: subject.name, kind: "single sign-on", id };
  return { name: name ?? subject?.name ?? id, kind: id.startsWith(KEY_ID_PREFIX) ? "key" : null, id };
}
