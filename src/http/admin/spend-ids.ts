/** An API key's id as `newKeyId` makes it: base64url, so never a comma. */
const KEY_ID = /^key_[A-Za-z0-9_-]+$/;

/**
 * The ids `/admin/api/spend` is asked for, from its repeated `ids` values, each one id as sent: a
 * JWT subject's id holds its name claim, free text that may hold a comma (`jwt:acme:Doe, John`).
 * The earlier comma-separated form (`ids=key_a,key_b`, which the web UI sent) is still read where it
 * cannot be one id: the key ids a value starts with are split off at their commas, since no id
 * starts with a key id and a comma; what follows the first part that is no key id is one id, as a
 * subject's name may hold `,key_…` too.
 */
export function spendIds(values: readonly string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    let rest = value;
    for (let comma = rest.indexOf(","); comma !== -1; comma = rest.indexOf(",")) {
      const part = rest.slice(0, comma);
      if (part !== "" && !KEY_ID.test(part)) break;
      if (part !== "") ids.push(part);
      rest = rest.slice(comma + 1);
    }
    if (rest !== "") ids.push(rest);
  }
  return ids;
}
