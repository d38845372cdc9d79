import type { LogFields } from "../log/logger.ts";

/** Told of a finish reason its vendor's table does not know: the field that said it, and the reason. */
export type UnknownFinish = (field: string, reason: string) => void;

const UNKNOWN_FINISH =
  "finish reason unknown to the gateway: a turn that wrote text or tool calls answers (stop, tool_calls), one that wrote nothing fails (502)";

/** So many reasons told at most: a server that makes one up each turn does not fill the log. */
const MAX_TOLD = 32;

/** So many characters of a reason kept and logged: a vendor's are a word or two; a server may send any size. */
const MAX_REASON = 64;

/** A reason the gateway does not know, as it is kept and told: its first `MAX_REASON` characters. */
export const clippedReason = (reason: string): string =>
  reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;

/**
 * An `UnknownFinish` that warns once a reason (its first `MAX_REASON` characters) for as long as
 * the provider lives, until the next reload builds it again: the first turn that ends with it says
 * how such a turn reads, so an operator can tell a vendor's new reason (or a proxy's own) from a fault.
 */
export function warnUnknownFinish(
  provider: string,
  warn: (message: string, fields: LogFields) => void,
): UnknownFinish {
  const told = new Set<string>();
  return (field, sent) => {
    const reason = clippedReason(sent);
    const key = `${field} ${reason}`;
    if (told.has(key) || told.size >= MAX_TOLD) return;
    told.add(key);
    warn(UNKNOWN_FINISH, { provider, field, reason });
  };
}
