import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { SseDecoder, type SseEvent } from "../../core/sse.ts";
import { namedFailure, upstreamName } from "../upstream-name.ts";
import { errorInAnswer } from "./upstream-failure.ts";

/** Whether a whole answer's content type says it is an event stream. */
export const isEventStream = (contentType: string): boolean => contentType.includes("text/event-stream");

/**
 * A whole answer asked for and an event stream answered (an upstream that streams whatever
 * `stream` says): no JSON body a caller's SDK could read, so the upstream's failure (a 502, failed
 * over like one), named for what came, as `wholeForStream` names the converse. A stream whose first
 * event is an error (a server out of memory before its answer) is that error, judged as a 200
 * whose body is one (`errorInAnswer`): its words, not the stream's framing; one whose line is past
 * the event-stream bound is that failure, naming the upstream (`namedFailure`).
 */
export function streamForWhole(provider: string, body: Uint8Array): GatewayError {
  let first: SseEvent | undefined;
  try {
    const decoder = new SseDecoder();
    first = [...decoder.push(body), ...decoder.end()][0];
  } catch (error) {
    // A line past the bound: the decoder knows no sender, this upstream sent it.
    if (error instanceof GatewayError) return namedFailure(error, provider);
    throw error;
  }
  const said = first === undefined ? undefined : errorInAnswer(provider, parsed(first.data));
  return (
    said ??
    upstreamError(
      `${upstreamName(provider)} answered a request for a whole answer with an event stream (text/event-stream), not a JSON body`,
    )
  );
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
