import { UsageError } from "./exit-code.ts";

/**
 * A flag's value as given (undefined: not given). Given empty (`--gateway ""`, `-c "$UNSET"`) it
 * is a usage error naming the flag: read as unset, it would send the command to the target or
 * credential of `$MINDGW_GATEWAY`, `$MINDGW_CONFIG` or `$MINDGW_ADMIN_KEY` (or the embedded
 * defaults), unasked. Every command reads `-c`, `--gateway` and `--admin-key` through this.
 */
export function givenFlag(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") throw new UsageError(`${name}: empty`);
  return value;
}
