import type { GatewayError } from "../../core/gateway-error.ts";
import { statusFailure } from "../http/upstream-failure.ts";

/**
 * A Bedrock failure (HTTP status and `x-amzn-ErrorType`, or a stream exception frame) as a
 * GatewayError. Bedrock says "Input is too long" as a ValidationException; it keeps its 400.
 */
export function bedrockFailure(
  provider: string,
  status: number,
  type: string,
  message?: string,
): GatewayError {
  const name = type.split(":")[0] ?? type;
  return statusFailure(provider, status, message ? `${name}: ${message}` : undefined);
}

/** Reads Bedrock's `{"message": "..."}` error body (or `Message`), if that is what it is. */
export function bedrockErrorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const message = body.message ?? body.Message;
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}
