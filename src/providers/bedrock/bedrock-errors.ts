import type { GatewayError } from "../../core/gateway-error.ts";
import { CONTEXT_TOO_LONG } from "../../core/openai-errors.ts";
import { statusFailure } from "../http/upstream-failure.ts";

/**
 * A Bedrock failure (HTTP status and `x-amzn-ErrorType`, or a stream exception frame) as a
 * GatewayError. Bedrock says "Input is too long" as a ValidationException; it keeps its 400, as
 * `context_length_exceeded` on the request's field that was too long (`messages`, or an
 * embeddings request's `input`).
 */
export function bedrockFailure(
  provider: string,
  status: number,
  type: string,
  message?: string,
  retryAfter?: string | null,
  tooLongField = "messages",
): GatewayError {
  const name = type.split(":")[0] ?? type;
  const tooLong = status === 400 && message !== undefined && CONTEXT_TOO_LONG.test(message);
  return statusFailure(provider, status, message ? `${name}: ${message}` : undefined, {
    ...(tooLong ? { code: "context_length_exceeded", param: tooLongField } : {}),
    retryAfter: retryAfter ?? null,
  });
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
