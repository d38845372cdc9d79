import type { GatewayError } from "../core/gateway-error.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { account } from "./account-answer.ts";
import type { ModelCall } from "./model-call.ts";
import type { RequestAbort } from "./request-abort.ts";
import type { EndedRequest } from "./request-ends.ts";
import type { StreamEnds } from "./sse-response.ts";

/** A committed stream's first byte and end, as one object (no closures per stream). */
export class StreamedEnds implements StreamEnds, EndedRequest {
  /** How a whole answer ended, kept until it is written. */
  private failure: GatewayError | undefined;

  constructor(
    private readonly call: ModelCall,
    private readonly dispatched: Dispatched,
    private readonly model: string,
    private readonly abort: RequestAbort,
  ) {}

  firstByte(): void {
    this.call.ledger.firstByte();
  }

  /** The request ends (usage, spend, its record) when the stream does. */
  end(error?: GatewayError): void {
    this.abort.release();
    account(this.call, this.dispatched, this.model);
    this.call.end(error ? error.status : 200, error);
  }

  endOnceWritten(error: GatewayError | undefined): void {
    // Its first byte and its end timed by one clock read; the record's end is not read again.
    this.call.ledger.wholeAnswer();
    this.failure = error;
    this.call.afterWrite(this);
  }

  /** A whole answer's end, run with the turn's other ends: its record is reported in the same pass. */
  report(): void {
    this.end(this.failure);
  }
}
