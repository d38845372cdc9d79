import { readsAsCallerId } from "../auth/caller-id.ts";

/**
 * How the audit query's key filter reads, in both stores, `mindgw tail` and the web UI's live rows
 * alike: a value spelt as a caller's id (`key_…`, a JWT caller's `jwt:<tenant>:<name>`) matches that
 * id alone, never a caller whose name is spelt so — a name claim is the user's to choose
 * (`preferred_username: jwt:acme:alice`), and it would put that user's rows in an admin's look at
 * another subject; any other value is a name, matching every caller of that name and the key whose
 * id it is.
 */
export const keyFilterIsId = (filter: string): boolean => readsAsCallerId(filter);

/** Whether a row's caller is one the key filter selects (`same`: how a value compares). */
export function keyMatches(
  filter: string,
  keyId: string | null,
  keyName: string | null,
  same: (filter: string, value: string | null) => boolean = (f, value) => value === f,
): boolean {
  return same(filter, keyId) || (!keyFilterIsId(filter) && same(filter, keyName));
}
