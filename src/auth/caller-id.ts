/**
 * What starts a JWT caller's subject id, `jwt:<tenant>:<name>` (principal.ts `callerSubject`): the
 * id its limits and spend count under and its audit rows name it by, where an API key's is its
 * key id (`key_…`). No key id starts so: the prefix alone tells the two apart.
 */
export const JWT_SUBJECT_PREFIX = "jwt:";

/** Whether a caller's id (an audit row's `keyId`) is a JWT subject's, not an API key's. */
export const isJwtSubject = (id: string | null): boolean => id?.startsWith(JWT_SUBJECT_PREFIX) === true;
