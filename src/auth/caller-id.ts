/**
 * What starts a JWT caller's subject id, `jwt:<tenant>:<name>` (`subjectId`): the
 * id its limits and spend count under and its audit rows name it by, where an API key's is its
 * key id (`key_…`). No key id starts so: the prefix alone tells the two apart.
 */
export const JWT_SUBJECT_PREFIX = "jwt:";

/** What starts an API key's id (api-key.ts `newKeyId`). */
export const KEY_ID_PREFIX = "key_";

/** Whether a caller's id (an audit row's `keyId`) is a JWT subject's, not an API key's. */
export const isJwtSubject = (id: string | null): boolean => id?.startsWith(JWT_SUBJECT_PREFIX) === true;

/**
 * The id a caller without a key is counted and recorded under, `<via>:<tenant>:<name>`
 * (principal.ts `limitSubject`): a JWT caller's `jwt:…`, a single sign-on user's `session:…`. The
 * tenant is written with its `%` and `:` as `%25` and `%3A`, so the id's second colon always ends
 * it and two callers are never one id: a JWT's tenant claim is free text while `tenants:` lists
 * none, and written as it came, tenant `acme:alice` with name `bob` and tenant `acme` with name
 * `alice:bob` were both `jwt:acme:alice:bob`, one caller's limits, spend and stored responses. A
 * configured tenant's name has neither character (tenant-config.ts), nor has `default`, nor may
 * `auth.jwt.default_tenant` (jwt-config.ts): such a caller's id is what it always was, and what it
 * spent and stored stays its own. A caller whose tenant holds either (a free tenant claim, an
 * embedder's principal) has a new id since the escape, its old one perhaps another caller's now
 * (SECURITY.md, "Upgrading: who gets a new id"). The name may hold anything
 * (`jwt:default:jwt:acme:alice` is default's `jwt:acme:alice`).
 */
export const subjectId = (via: string, tenant: string, name: string): string =>
  `${via}:${escapedTenant(tenant)}:${name}`;

/**
 * The tenant as a caller's id writes it. Nearly every tenant holds neither character and is
 * written as it is, without a pass of the regular expression: a JWT request makes its caller's id
 * about four times (24–43 ns a call with the pass, 12–13 without, on 2 shared cores).
 */
const escapedTenant = (tenant: string): string =>
  tenant.includes(":") || tenant.includes("%") ? tenant.replace(TENANT_ESCAPED, escapeChar) : tenant;

const TENANT_ESCAPED = /[%:]/g;
const escapeChar = (char: string): string => (char === "%" ? "%25" : "%3A");
const TENANT_ESCAPES = /%(25|3A)/g;
const unescapeChar = (_: string, hex: string): string => (hex === "25" ? "%" : ":");

/**
 * A caller's subject id taken apart (`subjectId`), its tenant as the caller has it. Undefined for
 * an API key's id (`key_…`), which names no tenant.
 */
export function subjectIdParts(id: string): { via: string; tenant: string; name: string } | undefined {
  const first = id.indexOf(":");
  const second = first > 0 ? id.indexOf(":", first + 1) : -1;
  if (second === -1) return undefined;
  const tenant = id.slice(first + 1, second).replace(TENANT_ESCAPES, unescapeChar);
  return { via: id.slice(0, first), tenant, name: id.slice(second + 1) };
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
