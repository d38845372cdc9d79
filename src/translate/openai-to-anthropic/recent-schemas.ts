/**
 * The schemas reshaped lately, by their JSON text: an agent loop sends the same tools every turn,
 * and reshaping one costs a deep clone and a walk (~115 µs for the Agents SDK's 20 strict tools,
 * more than the rest of a request through the gateway), where its text is a few µs. Least
 * recently used first out, until the texts kept fit in `mostLength` characters; a schema whose
 * text is past `longestKey` is reshaped each time, not kept. A value is shared by every request
 * that sends its schema: nobody may change it. One the reshaping hands back as it came (the
 * caller's own object) is not kept, so no request is handed another's object.
 */
export class RecentSchemas {
  private readonly kept = new Map<string, unknown>();
  /** The characters of every key in `kept`. */
  private keptLength = 0;

  constructor(
    private readonly reshape: (schema: Record<string, unknown>) => unknown,
    private readonly mostLength = MOST_KEPT_LENGTH,
    private readonly longestKey = MAX_KEY_LENGTH,
  ) {}

  get(schema: Record<string, unknown>): unknown {
    const key = JSON.stringify(schema);
    if (key.length > this.longestKey) return this.reshape(schema);
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      // Used again: moved to the newest end of the Map's order.
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept;
    }
    const reshaped = this.reshape(schema);
    if (reshaped !== schema) this.keep(key, reshaped);
    return reshaped;
  }

  get size(): number {
    return this.kept.size;
  }

  private keep(key: string, reshaped: unknown): void {
    this.kept.set(key, reshaped);
    this.keptLength += key.length;
    for (const oldest of this.kept.keys()) {
      if (this.keptLength <= this.mostLength) return;
      this.kept.delete(oldest);
      this.keptLength -= oldest.length;
    }
  }
}

/**
 * 64 KB: a tool's schema is a few hundred bytes to a few KB, an MCP server's often 16–64 KB, sent
 * every turn (reshaping a 20 KB one costs ~180 µs, finding it kept ~18 µs). Memory is bounded by
 * `MOST_KEPT_LENGTH`, not by this: at most 64 schemas this long fit in it. One past this is rare
 * enough to reshape each time.
 */
const MAX_KEY_LENGTH = 64 * 1024;

/**
 * 4 MB of schema text. A reshaped schema held as objects weighs about four times its text, so what
 * is kept, keys and values, stays near 20 MB whatever callers send (measured: 18 MB of heap for
 * 15 KB schemas, 19.5 MB for 1.6 KB ones, sent until the cache was full).
 */
const MOST_KEPT_LENGTH = 4 * 1024 * 1024;
