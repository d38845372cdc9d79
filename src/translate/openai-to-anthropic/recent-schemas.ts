/**
 * The schemas reshaped lately, by their JSON text: an agent loop sends the same tools every turn,
 * and reshaping one costs a deep clone and a walk (~115 µs for the Agents SDK's 20 strict tools,
 * more than the rest of a request through the gateway), where its text is a few µs. Least
 * recently used first out; a schema past `MAX_KEY_LENGTH` is reshaped each time, not kept.
 * A value is shared by every request that sends its schema: nobody may change it.
 */
export class RecentSchemas {
  private readonly kept = new Map<string, unknown>();

  constructor(
    private readonly reshape: (schema: Record<string, unknown>) => unknown,
    private readonly most = 256,
  ) {}

  get(schema: Record<string, unknown>): unknown {
    const key = JSON.stringify(schema);
    if (key.length > MAX_KEY_LENGTH) return this.reshape(schema);
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      // Used again: moved to the newest end of the Map's order.
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept;
    }
    const reshaped = this.reshape(schema);
    if (this.kept.size >= this.most) this.kept.delete(this.kept.keys().next().value as string);
    this.kept.set(key, reshaped);
    return reshaped;
  }

  get size(): number {
    return this.kept.size;
  }
}

/** 64 KB: a tool's schema is a few hundred bytes to a few KB; 256 kept bound the memory to 16 MB at most. */
const MAX_KEY_LENGTH = 64 * 1024;
