import { messageOf } from "../../core/describe-error.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { type GatewayError, unsupportedOperation } from "../../core/gateway-error.ts";
import type { ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";

/**
 * A vendor's token count for a count_tokens call, or, where the vendor cannot count for the model
 * (Bedrock counts only for some) or the count fails, `unsupported_operation`: the gateway's own
 * estimate then answers. A count is an estimate's question, never a failed request for want of
 * an exact figure. The caller's own abort stays an abort.
 */
export async function countOrEstimate(
  provider: string,
  model: string,
  signal: AbortSignal,
  count: () => Promise<JsonObject>,
): Promise<ProviderReply> {
  try {
    return { kind: "json", body: await count() };
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = messageOf(error);
    throw unsupportedOperation(
      `${upstreamName(provider)} did not count tokens for ${model} (${reason}); the gateway estimates them`,
    );
  }
}

/**
 * A count_tokens call an upstream answered 404 is one its route does not serve, whatever the body
 * says: an Anthropic-compatible server without `/v1/messages/count_tokens` (Claude Code counts
 * before every turn), or a count model it lacks. `unsupported_operation`, as `countOrEstimate`
 * makes it: the next route or the gateway's estimate answers (routing/routes-tried.ts `exhausted`,
 * with local-answer.ts `localAnswer`), never the caller's 404 nor a failure its route's breaker
 * counts. Any other failure is as it was.
 */
export function uncounted(provider: string, failure: GatewayError): GatewayError {
  if (failure.upstream?.status !== 404) return failure;
  return unsupportedOperation(
    `${upstreamName(provider)} does not count tokens (it answered 404); the gateway estimates them`,
  );
}
