import { messageOf } from "./describe-error.ts";
import { errorCode, whyUnreachable } from "./why-unreachable.ts";

/**
 * Why a fetch got no answer, in a few words for a one-line error (`connection refused`, `TLS
 * handshake failed (EPROTO)`, `DNS lookup failed (ENOTFOUND)`): the words an upstream's and a
 * worker's failures use (why-unreachable.ts), never the request, whose URL may carry user info and
 * whose headers the key. `mindgw tail` and every admin command say it alike.
 */
export function networkErrorWords(error: unknown): string {
  const code = errorCode(error) ?? "";
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (code === "ConnectionClosed" || code === "ECONNRESET") return "connection closed";
  const why = whyUnreachable(error);
  if (why !== undefined) return why;
  if (code !== "") return code;
  const message = messageOf(error);
  return message.split("\n")[0]?.slice(0, 120) || "network error";
}
