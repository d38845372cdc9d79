/** How many of the tail's own calls it waits for the records of at most (one a workers read). */
const MOST_AWAITED = 64;

/**
 * The tail's own calls of the admin API (its reads of the workers list, its event stream), known
 * by the request id each is sent with (`x-request-id`, which the gateway keeps as the request's
 * id): their rows are the tail's own polling, hidden from its view. A user agent, which any client
 * may send, hid a model call too; an id here is `mindgw-tail-` and a random UUID, which no other
 * client knows, and only a call of the admin API is taken for one.
 */
export class OwnCalls {
  /** Ids sent whose records have not come yet, oldest first (a call the gateway never saw leaves none). */
  private readonly awaited = new Set<string>();

  /** A request id for one of the tail's own calls, awaited until its record comes. */
  mint(): string {
    const id = `mindgw-tail-${crypto.randomUUID()}`;
    this.awaited.add(id);
    if (this.awaited.size > MOST_AWAITED) {
      const oldest = this.awaited.values().next().value;
      if (oldest !== undefined) this.awaited.delete(oldest);
    }
    return id;
  }

  /** Whether `record` is of one of the tail's own calls (then no longer awaited). */
  took(record: { readonly requestId: string; readonly frontDoor: string }): boolean {
    return record.frontDoor === "admin" && this.awaited.delete(record.requestId);
  }
}
