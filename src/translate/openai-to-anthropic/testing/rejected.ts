import type { GatewayError } from "../../../core/gateway-error.ts";
import { Dropped } from "../../dropped.ts";
import { chatRequestToMessages } from "../chat-request-to-messages.ts";

/** The 400 a request is under `translation.unsupported: reject`, if it is refused (the
 * chat-request-*.test.ts files' shared probe). */
export function rejected(body: Record<string, unknown>): GatewayError | undefined {
  try {
    chatRequestToMessages(body, new Dropped("reject"));
  } catch (error) {
    return error as GatewayError;
  }
}
