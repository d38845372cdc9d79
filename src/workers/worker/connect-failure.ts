/** What the common system codes mean, for an operator reading the worker's log. */
const CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/**
 * Why the socket could not connect, from the error event Bun's WebSocket client fires before its
 * close (whose code, 1006, says only that the connection ended abnormally): the system code and
 * what it means (`connection refused (ECONNREFUSED)`), else the event's message without Bun's
 * "WebSocket connection to '…' failed: " in front.
 */
export function connectFailure(event: Event): string {
  const { error, message } = event as Partial<ErrorEvent>;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return CODES[code] ? `${CODES[code]} (${code})` : code;
  return message?.replace(/^WebSocket connection to '[^']*' failed: /, "") || "no reason given";
}
