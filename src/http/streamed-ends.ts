import type { JsonObject } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { account } from "./account-answer.ts";
import type { ModelCall } from "./model-call.ts";
import type { RequestAbort } from "./request-abort.ts";
import type { StreamEnds } from "./sse-response.ts";
import { releaseStreamSocket } from "./stream-socket.ts";
import { streamUsage } from "./stream-usage.ts";

/** A relayed stream's first byte and end, as one object (no closures per stream). */
export class StreamedEnds implements StreamEnds {
  constructor(
    private readonly call: ModelCall,
    private readonly dispatched: Dispatched,
    private readonly model: string,
    private readonly abort: RequestAbort,
    /** The request's body: its prompt is estimated when the stream ends without a usage count. */
    private readonly prompt: JsonObject,
    private readonly logger: Logger,
  ) {}

  /** Usage and spend charged: once, at the answer's end marker or else at the stream's end. */
  private charged = false;

  firstByte(): void {
    this.call.ledger.firstByte();
  }

  closing(): void {
    releaseStreamSocket(this.call);
  }

  answered(): Promise<void> | undefined {
    this.charge();
    // Its shared charges, their failures logged as they were made (account-answer.ts costOf).
    return this.call.ledger.counted;
  }

  failing(error: GatewayError): void {
    this.call.socketTurn?.failing?.(error);
  }

  /** The request ends (its record, and usage and spend unless charged already) when the stream does. */
  end(error: GatewayError | undefined, status: number): void {
    this.abort.release();
    this.charge();
    this.call.end(status, error);
  }

  private charge(): void {
    if (this.charged) return;
    this.charged = true;
    account(this.call, this.dispatched, this.model, this.logger, streamUsage(this.dispatched, this.prompt));
  }
}
