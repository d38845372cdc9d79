import type { ChunkSource, QuietListener } from "../core/chunk-source.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { StoringContext } from "./responses-context.ts";

/**
 * A Responses answer the gateway stores leaves only once it is stored: a client (an agent loop)
 * may send the next turn with its `previous_response_id` the moment it reads it, to any node. A
 * whole answer waits for its save here; a stream is handed on as it comes, save for the read that
 * carries its final event (`response.completed`), which waits for the save that event started
 * (`StoredBeforeEnd`). A failed save fails the call instead — a 503 `storage_unavailable`, or the
 * stream's error event in place of its end — never an id that was not stored. `failed` hears of
 * a whole answer that failed so (its route and usage are the request's all the same).
 */
export async function storedBeforeAnswer(
  dispatching: Promise<Dispatched>,
  responses: Pick<StoringContext, "saved">,
  failed: (dispatched: Dispatched) => void,
): Promise<Dispatched> {
  const dispatched = await dispatching;
  const reply = dispatched.reply;
  if (reply.kind === "stream")
    return withReply(dispatched, { ...reply, chunks: new StoredBeforeEnd(reply.chunks, responses) });
  const failure = await responses.saved();
  if (failure) {
    failed(dispatched);
    throw failure;
  }
  return dispatched;
}

/** The same dispatch with another reply (a `Dispatched` is the router's attempt: read, not copied). */
const withReply = (dispatched: Dispatched, reply: ClientReply): Dispatched => ({
  reply,
  route: dispatched.route,
  upstreamModel: dispatched.upstreamModel,
  attempts: dispatched.attempts,
  dropped: dispatched.dropped,
  usage: () => dispatched.usage(),
  answeredModel: () => dispatched.answeredModel(),
});

/** A stored Responses stream: the read in which the save began waits for it (see above). */
export class StoredBeforeEnd implements ChunkSource {
  /** The first read, taken by `ready` while its save runs: `next` hands it on. */
  private held: Uint8Array | undefined;
  /** A read is kept back for the save (from its arrival until it is handed on). */
  private waiting = false;
  private waited = false;

  constructor(
    private readonly chunks: ChunkSource,
    private readonly responses: Pick<StoringContext, "saved">,
  ) {}

  get reported(): GatewayError | undefined {
    return this.chunks.reported;
  }

  get reportedEvent(): SseEvent | undefined {
    return this.chunks.reportedEvent;
  }

  /** A bare `error` event ended the stream: the relay adds its `response.failed` (http/sse-response.ts). */
  get failureUnended(): GatewayError | undefined {
    return this.chunks.failureUnended;
  }

  get drained(): boolean {
    return !this.waiting && this.chunks.drained === true;
  }

  /**
   * The source's own (it has read the end marker): true while the final read waits for its save,
   * which a client leaving then has not had; the relay tells that (its `ending`,
   * http/sse-response.ts), as it tells of a read held for its record.
   */
  get complete(): boolean | undefined {
    return this.chunks.complete;
  }

  get events(): number | undefined {
    return this.chunks.events;
  }

  get upstreamEvents(): number | undefined {
    return this.chunks.upstreamEvents;
  }

  ready(): Uint8Array | undefined {
    const chunk = this.chunks.ready?.();
    if (chunk === undefined || this.saving() === undefined) return chunk;
    this.held = chunk;
    this.waiting = true;
    return undefined;
  }

  async next(): Promise<Uint8Array | undefined> {
    let chunk = this.held;
    this.held = undefined;
    if (chunk === undefined) chunk = await this.chunks.next();
    const saving = this.saving();
    if (saving === undefined) return chunk;
    this.waiting = true;
    this.waited = true;
    const failure = await saving;
    this.waiting = false;
    if (failure) {
      this.chunks.cancel();
      throw failure;
    }
    return chunk;
  }

  cancel(): void {
    this.chunks.cancel();
  }

  keepAlive(listener: QuietListener): void {
    this.chunks.keepAlive?.(listener);
  }

  /** The save to wait for before the read in hand goes on; undefined once waited for (or none began). */
  private saving(): Promise<GatewayError | undefined> | undefined {
    return this.waited ? undefined : this.responses.saved();
  }
}
