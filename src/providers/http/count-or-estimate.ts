import type { JsonObject } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
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
    const reason = error instanceof Error ? error.message : String(error);
    throw unsupportedOperation(
      `${upstreamName(provider)} did not count tokens for ${model} (${reason}); the gateway estimates them`,
    );
  }
}
