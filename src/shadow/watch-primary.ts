import { MAX_CAPTURED_STREAM } from "../core/capture-chunks.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import { captureBytes } from "./capture-bytes.ts";
import type { Pair } from "./shadow-pair.ts";

/**
 * Hands the client the same answer, keeping what it takes to read the primary's text later
 * (the parsed body, its bytes, or its captured stream text): nothing is parsed on the way.
 */
export function watchPrimary(pair: Pair, reply: ClientReply): ClientReply {
  if (reply.kind === "json") {
    pair.source = { kind: "json", body: reply.body };
    return reply;
  }
  if (reply.kind === "bytes") {
    pair.source = { kind: "bytes", body: reply.body, parsed: reply.parsed };
    return reply;
  }
  return {
    ...reply,
    chunks: captureBytes(
      reply.chunks,
      (body) => {
        pair.source = { kind: "sse", body };
      },
      MAX_CAPTURED_STREAM,
    ),
  };
}
