import type { LogFields } from "../log/logger.ts";

/** Told of a finish reason its vendor's table does not know: the field that said it, and the reason. */
export type UnknownFinish = (field: string, reason: string) => void;

const UNKNOWN_FINISH =
  "finish reason unknown to the gateway: a turn that wrote text or tool calls answers (stop, tool_calls), one that wrote nothing fails (502)";

/** So many reasons told at most: a server that makes one up each turn does not fill the log. */
const MAX_TOLD = 32;

/**
 * An `UnknownFinish` that warns once a reason: the first turn that ends with it says how such a
 * turn reads, so an operator can tell a vendor's new reason (or a proxy's own) from a fault.
 */
export function warnUnknownFinish(
  provider: string,
  warn: (message: string, fields: LogFields) => void,
): UnknownFinish {
  const told = new Set<string>();
  return (field, reason) => {
    const key = `${field} ${reason}`;
    if (told.has(key) || told.size >= MAX_TOLD) return;
    told.add(key);
    warn(UNKNOWN_FINISH, { provider, field, reason });
  };
}
