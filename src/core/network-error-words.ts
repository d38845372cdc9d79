import { messageOf } from "./describe-error.ts";

/**
 * Why a fetch got no answer, in a few words for a one-line error (`connection refused`, `EPROTO`,
 * `ENOTFOUND`): never the request, whose URL may carry user info and whose headers the key.
 * `mindgw tail` and every admin command say it alike.
 */
export function networkErrorWords(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (code === "ConnectionClosed" || code === "ECONNRESET") return "connection closed";
  if (code !== "") return code;
  const message = messageOf(error);
  return message.split("\n")[0]?.slice(0, 120) || "network error";
}
