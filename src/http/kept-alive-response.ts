import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { captureChunks } from "../core/capture-chunks.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { Dialect, JsonObject } from "../core/dialect.ts";
import { errorEvent } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/router.ts";
import { chargeUsage, unansweredUsage } from "./account-answer.ts";
import { PendingStream, singleEvent } from "./pending-stream.ts";
import type { RequestLedger } from "./request-ledger.ts";
import { sseResponse } from "./sse-response.ts";
import { streamUsage } from "./stream-usage.ts";
import { wholeAnswerUsage } from "./whole-usage.ts";

/**
 * A stream answered before routing settled: keep-alive comments until the answer's first
 * chunk, then the answer; a routing failure becomes the closing error event.
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
    dialect: Dialect;
    model: string;
    /** The request's body: its prompt is estimated when the stream ends without a usage count. */
    prompt: JsonObject;
    end: (status: number, error?: GatewayError) => void;
    release: () => void;
  },
): Response {
  const { principal, ledger, headers, dialect } = context;
  let settled: Dispatched | undefined;
  const source = dispatching.then((dispatched): ChunkSource => {
    settled = dispatched;
    ledger.route = dispatched.route;
    ledger.upstreamModel = dispatched.upstreamModel;
    const reply = dispatched.reply;
    if (reply.kind === "stream") return reply.chunks;
    const body = reply.kind === "json" ? reply.body : JSON.parse(new TextDecoder().decode(reply.body));
    return singleEvent(JSON.stringify(body));
  });
  const chunks = new PendingStream(source, intervalMs, () => ledger.firstByte());
  return sseResponse(
    context.captureBodies ? captureChunks(chunks, (text) => (ledger.responseBody = text)) : chunks,
    dialect,
    headers,
    {
      // The first chunk of the answer itself is timed by the pending stream, not the first comment.
      firstByte() {},
      end(error) {
        context.release();
        // Failed attempts an upstream billed are charged with the answer; when none came, with
        // the prompt an upstream was reading as the client left (account-answer.ts).
        const usage = settled
          ? settled.reply.kind === "stream"
            ? streamUsage(settled, context.prompt)
            : wholeAnswerUsage(settled, context.prompt)
          : unansweredUsage(ledger, error, context.prompt);
        if (usage) chargeUsage(context.limits, principal, context.model, usage, ledger, context.logger);
        context.end(error ? error.status : 200, error);
      },
    },
    // Routing had not settled when the head went out: no first read in hand.
    undefined,
    (error) =>
      settled?.reply.kind === "stream" && settled.reply.errorEvent
        ? settled.reply.errorEvent(error)
        : errorEvent(error, dialect),
  );
}
