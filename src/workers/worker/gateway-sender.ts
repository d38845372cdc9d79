import { answerHeadSize, encodeAnswer, encodeAnswerEnd } from "../answer-frame.ts";
import { type FrameSink, FrameWriter } from "../frame-writer.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, encodeFrame, type GatewayFrame, type WorkerFrame } from "../protocol.ts";
import type { SendWhole } from "./upstream-call.ts";

/**
 * How a worker session's frames leave for the gateway: in binary where the gateway said it reads
 * them (its `registered` frame, `agreed`), else as JSON, every one through one `FrameWriter` so
 * that order is kept.
 */
export class GatewaySender {
  /** Every frame to the gateway goes through it. */
  readonly writer: FrameWriter;
  /** Set from the gateway's `registered` frame (its message limit). */
  private maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  /** The gateway reads binary answer frames (answer-frame.ts). */
  private binaryAnswers = false;

  constructor(sink: FrameSink) {
    this.writer = new FrameWriter(sink, DEFAULT_MAX_MESSAGE_BYTES);
  }

  /** What the gateway's `registered` frame says it reads: its message limit, batches, binary answers. */
  agreed(frame: Extract<GatewayFrame, { type: "registered" }>): void {
    this.maxMessageBytes = frame.maxMessageBytes;
    this.writer.limit(frame.maxMessageBytes);
    if (frame.batch) this.writer.peerReadsBatches();
    this.binaryAnswers = frame.binaryAnswers === true;
  }

  send(frame: WorkerFrame): void {
    // A head or end in binary where the gateway reads it (and where the head's texts fit one); a
    // failure's other retry headers go in JSON, which alone carries them.
    const binary = !this.binaryAnswers
      ? undefined
      : frame.type === "end"
        ? encodeAnswerEnd(Number(frame.id))
        : frame.type === "head" && frame.servedBy === undefined && frame.retry === undefined
          ? encodeAnswer(Number(frame.id), frame, false)
          : undefined;
    if (binary) this.writer.binary(binary);
    else this.writer.text(encodeFrame(frame));
  }

  /**
   * A whole answer in one binary frame; false where the gateway does not read them or it does
   * not fit. Framed where the writer writes it (head and body copied into its message once), and
   * one object for it all: the frame queued, and the head `hop` sees (no head frame object, and
   * no frame of its own for the head first).
   */
  readonly sendWhole: SendWhole = (id, status, contentType, retryAfter, body, hop) => {
    if (!this.binaryAnswers) return false;
    const head = {
      type: "head",
      id,
      status,
      contentType: contentType ?? "",
      // As the JSON head carries it (answer-relay.ts): at most 64 characters.
      retryAfter: retryAfter?.slice(0, 64),
      headBytes: 0,
      bytes: body,
    };
    head.headBytes = answerHeadSize(head);
    if (head.headBytes < 0 || head.headBytes + body.byteLength > this.maxMessageBytes) return false;
    this.writer.answer(head);
    hop.observe(head);
    return true;
  };
}
