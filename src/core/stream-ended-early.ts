import { GatewayError } from "./gateway-error.ts";

/**
 * Why a stream that ended early is not an answer, after the name of who sent it: the one table of
 * these words, whichever relay or translation read the stream. A dialect with an end marker (chat's
 * `[DONE]`, Messages' `message_stop`) names it missing, begun or not; one without (Gemini's, Bedrock
 * Converse's: the body's end is the stream's) says how far the answer got.
 */
export const ENDED_EARLY = {
  /** No end marker came, nor the answer's finish before it: no event at all, or a stream cut off. */
  markerMissing: "ended the stream without its end marker",
  /** No end marker in the dialect, and the body ended before the answer's first event. */
  unbegun: "ended the stream before the answer began",
  /** No end marker in the dialect, and the body ended after the answer began, before its finish. */
  unfinished: "ended the stream before the answer was complete",
} as const;

export type EarlyEnd = keyof typeof ENDED_EARLY;

/** How a stream ended early: `noEndMarker`, its dialect has none; `begun`, its answer's first event came. */
export const earlyEnd = (noEndMarker: boolean, begun: boolean): EarlyEnd =>
  noEndMarker ? (begun ? "unfinished" : "unbegun") : "markerMissing";

/**
 * What a stream that ended early fails with (`ENDED_EARLY`), whichever relay or translation read
 * it: `sender` names who sent it (providers/upstream-name.ts). A translation, not told whose stream
 * it reads, leaves it out, and the relay that reads the translation names it (upstream-name.ts
 * `namedFailure`), so the caller reads one wording whichever path found it, as for `NoAnswer`.
 */
export class StreamEndedEarly extends GatewayError {
  constructor(
    readonly why: EarlyEnd,
    readonly sender?: string,
  ) {
    super({
      status: 502,
      code: "upstream_error",
      message: `${sender ?? "upstream"} ${ENDED_EARLY[why]}`,
      retryable: true,
    });
  }
}
