import type { ClientReply } from "../routing/native-reply.ts";
import { captureAnswer } from "./capture-answer.ts";
import type { Pair } from "./shadow-pair.ts";

/**
 * How much of a stream's wire bytes is kept as they are for the shadow thread to read; a longer
 * stream is read as it passes (capture-answer.ts). As much as the bound on what was kept before
 * (256K characters of text, at most 4 bytes each), so no stream that was sent whole is read here.
 */
const STREAM_WINDOW = 1024 * 1024;

/**
 * Hands the client the same answer, keeping what it takes to read the primary's text later
 * (the parsed body, its bytes, or its stream's bytes or answer): nothing is parsed on the way
 * but a stream past the window. Only sampled requests are watched.
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
    chunks: captureAnswer(
      reply.chunks,
      pair.request.operation,
      (captured) => {
        pair.source = captured;
      },
      STREAM_WINDOW,
    ),
  };
}
