/** How many deltas are joined into one block: a block is a flat string, a few KB of tokens. */
const BLOCK = 1024;

/**
 * Text gathered from a stream's deltas, held flat. Appended with `+=`, a string of token-sized
 * deltas is a rope with a node and a string per delta, about 12 times the text (16 MB of
 * 4-character deltas held 191 MB); here the deltas are joined into blocks as they come, and the
 * blocks into one string when the whole is read (about twice the text at most, once).
 */
export class GatheredText {
  private blocks: string[] = [];
  private parts: string[] = [];

  add(delta: string): void {
    const parts = this.parts;
    parts.push(delta);
    if (parts.length === BLOCK) {
      this.blocks.push(parts.join(""));
      this.parts = [];
    }
  }

  /** All of it, as one string; kept as that one block, so reading it again joins nothing. */
  whole(): string {
    if (this.parts.length > 0) {
      this.blocks.push(this.parts.join(""));
      this.parts = [];
    }
    if (this.blocks.length > 1) this.blocks = [this.blocks.join("")];
    return this.blocks[0] ?? "";
  }
}
