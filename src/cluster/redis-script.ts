import type { RedisClient } from "bun";

/**
 * A Lua script run by its SHA-1 (EVALSHA: its hash, not its text, on every call), sent whole
 * (EVAL) only when Redis lacks it: once after a restart, which loads it.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly text: string) {
    this.sha = new Bun.CryptoHasher("sha1").update(text).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await client.send("EVALSHA", [this.sha, ...rest]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
      return client.send("EVAL", [this.text, ...rest]);
    }
  }
}
