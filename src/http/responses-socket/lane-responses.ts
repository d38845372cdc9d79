import type { JsonObject } from "../../core/dialect.ts";
import { type KeptResponses, type LastResponse, lastResponseOf, type SocketTurn } from "./socket-turn.ts";

/** How many lanes' last responses a connection keeps; past it the longest unused is let go. */
export const MAX_KEPT_LANES = 32;

/**
 * Each lane's last finished response on one connection, so that a turn on any lane can continue
 * from it by id, stored or not (socket-session.ts): at most MAX_KEPT_LANES, the longest unused let go.
 */
export class LaneResponses implements KeptResponses {
  /** Each lane's last finished response, the longest unused first (Map order). */
  private readonly lastOf = new Map<string, LastResponse>();
  /** The same responses by id, as turns name them. */
  private readonly kept = new Map<string, LastResponse>();

  get(id: string): LastResponse | undefined {
    return this.kept.get(id);
  }

  /**
   * A turn of `lane` finished with `response` (its last event's, if any): that response is now the
   * lane's last, in place of the one before; none when the turn did not know the whole conversation.
   */
  remember(
    lane: string,
    turn: SocketTurn,
    response: JsonObject | undefined,
    holder: string | undefined,
    answeredBy: string | undefined,
  ): void {
    const previous = this.lastOf.get(lane);
    if (previous) this.kept.delete(previous.id);
    this.lastOf.delete(lane);
    const id = response?.id;
    // Only a turn that knew the whole conversation can be continued from here (socket-turn.ts).
    if (!response || !Array.isArray(response.output) || typeof id !== "string" || !turn.whole) return;
    const last = lastResponseOf(turn, id, response, holder, answeredBy);
    this.lastOf.set(lane, last);
    this.kept.set(id, last);
    const oldest = this.lastOf.size > MAX_KEPT_LANES ? this.lastOf.entries().next().value : undefined;
    if (oldest) {
      this.lastOf.delete(oldest[0]);
      this.kept.delete(oldest[1].id);
    }
  }
}
