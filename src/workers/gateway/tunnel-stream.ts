import type { CancelHook } from "../../core/cancel-hook.ts";
import type { RetryRest, TunnelErrorCode } from "../protocol.ts";
import type { ServerSilence } from "./server-silence.ts";

/** What a tunnel hands one stream's frames from the worker to: an exchange, or a peer link's relay. */
export interface TunnelStream {
  /** `retry`: a failure's other retry headers (protocol.ts), set on the answer beside Retry-After. */
  onHead(
    status: number,
    contentType: string,
    retryAfter?: string,
    servedBy?: string,
    retry?: RetryRest,
  ): void;
  /** Body bytes from a binary chunk frame: a view into that frame. */
  onChunk(bytes: Uint8Array): void;
  onEnd(): void;
  /** `retryAfter`: a peer link's refusal's (protocol.ts). */
  onError(code: TunnelErrorCode, message: string, retryAfter?: string): void;
  /** The worker connection is gone; `how`, when it was ended for a reason (`was disconnected: …`). */
  lost(how?: string): void;
  /**
   * Its reader judges a 404 by the body (worker-provider.ts `notFound`, cluster/frame-switch.ts's
   * relay): the tunnel does not (worker-tunnel.ts `judgeHead`). Else a 404 is an answer.
   */
  readonly readsNotFound?: boolean;
  /**
   * Its head came: a body chunk or an end before it is a protocol error, judged by the tunnel on
   * the worker's own connection (worker-tunnel.ts `misplaced`), a relayed stream's alike.
   */
  readonly headed: boolean;
}

/** What an exchange needs from its tunnel: one object for the tunnel, not one a call. */
export interface ExchangeLink {
  readonly window: number;
  /** Largest non-stream body collected before the exchange is failed. */
  readonly maxBodyBytes: number;
  sendCredit(id: number, bytes: number): void;
  /** `call`: the caller's hook, read on a peer link for what cut it (`CancelHook.cutAtLongestBound`). */
  sendCancel(id: number, call: CancelHook | undefined): void;
  /** Called once, when the worker owes exchange `id` nothing more. */
  done(id: number): void;
  /** The worker broke the protocol (sent past a stream's window): its connection is closed for it. */
  protocolError(problem: string): void;
  /** What its model server said while each call waited (an exchange cut before its head is told). */
  readonly silence: ServerSilence;
}

/**
 * Set on an answer another cluster node's worker served: the worker and node that served it, by
 * that node on an HTTP forward's answer (cluster/forward-endpoint.ts), or here on one that came
 * over a peer link, as the node holding the worker said in the head frame.
 */
export const SERVED_BY_HEADER = "x-mindgw-served-by";
