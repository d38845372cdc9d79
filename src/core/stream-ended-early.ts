import { GatewayError } from "./gateway-error.ts";

/** Why a stream that ended early is not an answer, after the name of who sent it. */
export const WITHOUT_END_MARKER = "ended the stream without its end marker";
export const BEFORE_COMPLETE = "ended the stream before the answer was complete";

/**
 * What a stream that ended early fails with — before its end marker and its answer's finish
 * (`WITHOUT_END_MARKER`: no event at all, or a stream cut off, relayed or translated), or, with
 * no end marker in its dialect, before its answer's finish (`BEFORE_COMPLETE`) — whichever relay
 * or translation read it: `sender` names who sent it (providers/upstream-name.ts). A translation,
 * not told whose stream it reads, leaves it out, and the relay that reads the translation names it
 * (upstream-name.ts `namedFailure`), so the caller reads one wording whichever path found it, as
 * for `NoAnswer`.
 */
export class StreamEndedEarly extends GatewayError {
  constructor(
    readonly why: string,
    readonly sender?: string,
  ) {
    super({
      status: 502,
      code: "upstream_error",
      message: `${sender ?? "upstream"} ${why}`,
      retryable: true,
    });
  }
}
