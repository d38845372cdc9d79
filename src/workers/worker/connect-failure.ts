import { whyUnreachable } from "../../core/why-unreachable.ts";

/**
 * Why the socket could not connect, from the error event Bun's WebSocket client fires before its
 * close (whose code, 1006, says only that the connection ended abnormally): the system code and
 * what it means, in the words the gateway says its own upstreams' in (core/why-unreachable.ts:
 * `connection refused (ECONNREFUSED)`), else the event's message without Bun's "WebSocket
 * connection to '…' failed: " in front.
 */
export function connectFailure(event: Event): string {
  const { error, message } = event as Partial<ErrorEvent>;
  const why = whyUnreachable(error);
  if (why !== undefined) return why;
  return message?.replace(/^WebSocket connection to '[^']*' failed: /, "") || "no reason given";
}

/**
 * The status the gateway answered the upgrade with instead of 101, when Bun's message tells it
 * ("Expected 101 status code: 401"); undefined when it does not (an older Bun, a failed connect).
 */
export function upgradeStatus(event: Event): number | undefined {
  const { message } = event as Partial<ErrorEvent>;
  const status = /Expected 101 status code: (\d{3})\b/.exec(message ?? "")?.[1];
  return status === undefined ? undefined : Number(status);
}
