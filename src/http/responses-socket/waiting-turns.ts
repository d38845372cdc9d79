import { GatewayError } from "../../core/gateway-error.ts";
import { openAIWireError } from "../../core/openai-errors.ts";
import type { SocketError } from "./socket-turn.ts";

/** Turns a connection holds waiting behind its lanes' running ones, every lane together. */
export const MAX_WAITING_TURNS = 16;

/** Lanes (`stream_id`) a connection may have under way at once, each with a turn running. */
export const MAX_LANES = 64;

/** A turn past the connection's bounds: why (the row it leaves says it), and its `error` event. */
export interface Overflow {
  readonly why: GatewayError;
  readonly refused: SocketError;
}

/**
 * What a connection holds in memory for turns that wait (a turn sent while its lane streams
 * another), and its bound: `MAX_WAITING_TURNS` turns, and together no more bytes than one body
 * may have (`server.max_body`, read per turn: a reload changes it), so a connection holds what one
 * more `POST` in flight would. Past it a turn is refused, not queued; the connection goes on.
 */
export class WaitingTurns {
  private turns = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: () => number) {}

  /** Counts a turn of `message` in, or says why it cannot wait (a 429). */
  enter(message: unknown): { readonly bytes: number } | Overflow {
    if (this.turns >= MAX_WAITING_TURNS)
      return refusal(
        `too many turns waiting on this connection (at most ${MAX_WAITING_TURNS}): send the next once a turn has ended`,
      );
    // Elysia hands the message over parsed: its size is its JSON's again.
    const bytes = Buffer.byteLength(JSON.stringify(message) ?? "");
    const max = this.maxBytes();
    if (this.bytes + bytes > max)
      return refusal(
        `the turns waiting on this connection would hold more than server.max_body (${max} bytes): send the next once a turn has ended`,
      );
    this.turns++;
    this.bytes += bytes;
    return { bytes };
  }

  /** A waiting turn of `bytes` left the queue (it runs now, or the socket closed). */
  leave(bytes: number): void {
    this.turns--;
    this.bytes -= bytes;
  }

  /** The socket closed: nothing waits any more. */
  clear(): void {
    this.turns = 0;
    this.bytes = 0;
  }
}

/** A new lane refused: the connection has `MAX_LANES` under way. */
export const tooManyLanes = (): Overflow =>
  refusal(
    `too many lanes (stream_id) under way on this connection (at most ${MAX_LANES}): send the next once one has ended`,
  );

/** The gateway's own 429, and it in the mode's error shape (OpenAI's fields, through the one table). */
function refusal(message: string): Overflow {
  const why = new GatewayError({ status: 429, code: "rate_limited", message, refusedBy: "requests" });
  return { why, refused: { status: why.status, ...openAIWireError(why) } };
}

/** A turn waiting behind another when its client closed the socket: never run. */
export const leftWaiting = (): GatewayError =>
  new GatewayError({
    status: 499,
    code: "client_closed",
    message: "the client closed the connection before the turn ran",
  });
