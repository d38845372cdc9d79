import { isJwtSubject } from "../auth/caller-id.ts";

/**
 * How a request's caller is written in one word of text (the access line's `key`, the key column
 * of `mindgw tail` and of `mindgw audit query`): an API key by its name, a JWT caller by its
 * subject id (`jwt:<tenant>:<name>`, its row's `keyId`), so that a name claim a user may choose
 * never reads as an API key's name. The web UI, which has room for the kind and the id beside
 * the name, shows a caller by admin-ui/caller-view.ts instead, on the same rule (caller-id.ts).
 */
export const callerLabel = (keyId: string | null, keyName: string | null): string | null =>
  isJwtSubject(keyId) ? keyId : keyName;
