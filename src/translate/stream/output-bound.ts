import { GatewayError } from "../../core/gateway-error.ts";

/**
 * What a translated stream holds of the answer outgrew `maxOutput`: what a whole answer that large
 * is (a 502, not retried). A Responses stream gathers the whole answer, a Messages stream a tool
 * call's arguments (anthropic-to-openai/messages-stream-writer.ts).
 */
const outputTooLarge = (max: number) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `the upstream sent an answer larger than ${max} characters (routing.max_upstream_body), more than the gateway holds to translate it`,
  });

/**
 * What of the answer a stream has gathered once `text` is added, in characters: thrown past `max`
 * (`routing.max_upstream_body`, absent: unbounded), which ends the stream with its error event.
 * The count is a number in the writer's field, not an object of its own a stream.
 */
export function gatheredWithin(gathered: number, text: string, max: number | undefined): number {
  const total = gathered + text.length;
  if (max !== undefined && total > max) throw outputTooLarge(max);
  return total;
}
