/**
 * What starts a JWT caller's subject id, `jwt:<tenant>:<name>` (principal.ts `callerSubject`): the
 * id its limits and spend count under and its audit rows name it by, where an API key's is its
 * key id (`key_…`). No key id starts so: the prefix alone tells the two apart.
 */
export const JWT_SUBJECT_PREFIX = "jwt:";

/** What starts an API key's id (api-key.ts `newKeyId`). */
export const KEY_ID_PREFIX = "key_";

/** Whether a caller's id (an audit row's `keyId`) is a JWT subject's, not an API key's. */
export const isJwtSubject = (id: string | null): boolean => id?.startsWith(JWT_SUBJECT_PREFIX) === true;

/**
 * A caller's subject id taken apart, `<via>:<tenant>:<name>` (principal.ts `limitSubject`): a JWT
 * caller's `jwt:…`, a single sign-on user's `session:…`. A tenant's name has no colon
 * (tenant-config.ts), the name may (`jwt:default:jwt:acme:alice` is default's `jwt:acme:alice`).
 * Undefined for an API key's id (`key_…`), which names no tenant.
 */
export function subjectIdParts(id: string): { via: string; tenant: string; name: string } | undefined {
  const first = id.indexOf(":");
  const second = first > 0 ? id.indexOf(":", first + 1) : -1;
  return second === -1
    ? undefined
    : { via: id.slice(0, first), tenant: id.slice(first + 1, second), name: id.slice(second + 1) };
}

/** A JWT subject id's tenant and name (`subjectIdParts`); undefined for another id. */
export function jwtSubjectParts(id: string): { tenant: string; name: string } | undefined {
  const parts = isJwtSubject(id) ? subjectIdParts(id) : undefined;
  return parts && { tenant: parts.tenant, name: parts.name };
}

/**
 * Whether a key name would read as a caller's id: the `key` filter (audit query, `mindgw tail`)
 * takes a name or an id, and a key named `jwt:default:ceo` would be matched by, and shown as, that
 * JWT subject (caller-label.ts). Any case: `mindgw tail --key` matches regardless of case.
 */
export const readsAsCallerId = (name: string): boolean => {
  const lower = name.toLowerCase();
  return lower.startsWith(JWT_SUBJECT_PREFIX) || lower.startsWith(KEY_ID_PREFIX);
};
