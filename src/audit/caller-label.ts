import { isJwtSubject } from "../auth/caller-id.ts";

/**
 * How a request's caller is shown (the access line's `key`, the key column of `mindgw tail`, the
 * web UI and `mindgw audit query`): an API key by its name, a JWT caller by its subject id
 * (`jwt:<tenant>:<name>`, its row's `keyId`), so that a name claim a user may choose never reads
 * as an API key's name.
 */
export const callerLabel = (keyId: string | null, keyName: string | null): string | null =>
  isJwtSubject(keyId) ? keyId : keyName;
