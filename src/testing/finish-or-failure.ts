import { expect } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";

/**
 * What a whole answer's translation made of its finish: the chat `finish_reason`, or, for a finish
 * that is a failure, `502: <message>` once the failure is checked to be the retryable 502 that
 * carries the answer's usage and does not count against its route (translate/failed-finish.ts).
 */
export function finishOrFailure(
  translate: () => unknown,
  usage: { inputTokens: number; outputTokens: number },
): string {
  try {
    const chat = translate() as { choices: Array<{ finish_reason: string }> };
    return chat.choices[0]?.finish_reason ?? "";
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    expect([error.status, error.code, error.retryable, error.countsAgainstRoute]).toEqual([
      502,
      "upstream_error",
      true,
      false,
    ]);
    expect(error.usage).toMatchObject(usage);
    return `502: ${error.message}`;
  }
}
