import type { FallbackClass } from "../config/fallback-classes.ts";
import type { GatewayError } from "../core/gateway-error.ts";

const CONTENT_POLICY = /content[_ ]?(filter|policy|management)|responsible ?ai|safety/i;

/** Which fallback class a failure belongs to, if any. */
export function fallbackClassOf(failure: GatewayError): FallbackClass | undefined {
  if (failure.code === "context_length_exceeded") return "context_length";
  if (failure.status === 429 && failure.code !== "budget_exceeded") return "rate_limit";
  const upstream = failure.upstream;
  const said = `${upstream?.code ?? ""} ${upstream?.type ?? ""} ${failure.status === 400 ? failure.message : ""}`;
  if (failure.status >= 400 && failure.status < 500 && CONTENT_POLICY.test(said)) return "content_policy";
  return undefined;
}
