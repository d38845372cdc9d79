import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { captureChunks } from "../core/capture-chunks.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { StreamWire } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/router.ts";
import { chargeUsage, unansweredUsage } from "./account-answer.ts";
import { PendingStream, singleEvent } from "./pending-stream.ts";
import type { RequestLedger } from "./request-ledger.ts";
import { KEEP_ALIVE, sseResponse } from "./sse-response.ts";
import { streamUsage } from "./stream-usage.ts";
import { wholeAnswerUsage } from "./whole-usage.ts";

/**
 * A stream answered before routing settled: keep-alive comments until the answer's first
 * chunk — the first at once, with the head — then the answer; a routing failure becomes the
 * closing error event. What translation dropped is named in the audit row only: the head, where
 * `x-mindgw-dropped` would have said it, left before the route was known.
 */
export function keptAliveResponse(
  dispatching: Promise<Dispatched>,
  intervalMs: number,
  context: {
    /** `audit.bodies`: keep the answer's text for the audit row. */
    captureBodies: boolean;
    limits: Policy;
    logger: Logger;
    principal: Principal;
    ledger: RequestLedger;
    headers: Record<string, string>;
    wire: StreamWire;
    model: string;
    /** The request's body: its prompt is estimated when the stream ends without a usage count. */
    prompt: JsonObject;
    end: (status: number, error?: GatewayError) => void;
    release: () => void;
    /** Right before the response's last write (`StreamEnds.closing`). */
    closing: () => void;
    /** Right before the gateway writes a failure of its own (`StreamEnds.failing`). */
    failing: ((error: GatewayError) => void) | undefined;
  },
): Response {
  const { principal, ledger, headers } = context;
  let settled: Dispatched | undefined;
  const source = dispatching.then((dispatched): ChunkSource => {
    settled = dispatched;
    ledger.route = dispatched.route;
    ledger.upstreamModel = dispatched.upstreamModel;
    if (dispatched.dropped.length > 0) ledger.dropped = dispatched.dropped;
    const reply = dispatched.reply;
    if (reply.kind === "stream") return reply.chunks;
    const body = reply.kind === "json" ? reply.body : JSON.parse(new TextDecoder().decode(reply.body));
    return singleEvent(JSON.stringify(body));
  });
  const chunks = new PendingStream(source, intervalMs, () => ledger.firstByte());
  let charged = false;
  /**
   * Once: failed attempts an upstream billed are charged with the answer; when none came, with the
   * prompt an upstream was reading as the client left (account-answer.ts).
   */
  const charge = (error?: GatewayError) => {
    if (charged) return;
    charged = true;
    const usage = settled
      ? settled.reply.kind === "stream"
        ? streamUsage(settled, context.prompt)
        : wholeAnswerUsage(settled, context.prompt)
      : unansweredUsage(ledger, error, context.prompt);
    if (usage) chargeUsage(context.limits, principal, context.model, usage, ledger, context.logger);
  };
  return sseResponse(
    context.captureBodies ? captureChunks(chunks, (text) => (ledger.responseBody = text)) : chunks,
    context.wire,
    headers,
    {
      // The first chunk of the answer itself is timed by the pending stream, not the first comment.
      firstByte() {},
      answered() {
        charge();
        return ledger.counted;
      },
      closing: context.closing,
      failing: context.failing,
      end(error, status) {
        context.release();
        charge(error);
        context.end(status, error);
      },
    },
    // Routing has not settled: the head goes out with a comment, now, so that the client and
    // every proxy between see the stream begin as it commits, not an interval later.
    KEEP_ALIVE,
    // A translated stream numbers its own; before one settled, the wire's usual end.
    (error) => (settled?.reply.kind === "stream" ? settled.reply.failureEvents?.(error) : undefined),
  );
}
