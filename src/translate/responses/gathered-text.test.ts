import { heapSize } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import { GatheredText } from "./gathered-text.ts";

/** A fresh string per delta, as each parsed chunk's is. */
const delta = (i: number) => JSON.parse(`"${String(i % 10_000).padStart(4, "0")}"`) as string;

describe("GatheredText", () => {
  test("reads back every delta in order, across blocks, as often as asked", () => {
    const gathered = new GatheredText();
    expect(gathered.whole()).toBe("");
    let expected = "";
    for (let i = 0; i < 5000; i++) {
      gathered.add(delta(i));
      expected += delta(i);
      if (i === 3000) expect(gathered.whole()).toBe(expected);
    }
    expect(gathered.whole()).toBe(expected);
    expect(gathered.whole()).toBe(expected);
  });

  test("token-sized deltas are held flat, not as a rope of one node per delta", () => {
    const count = 1_000_000;
    Bun.gc(true);
    const before = heapSize();
    const gathered = new GatheredText();
    for (let i = 0; i < count; i++) gathered.add(delta(i));
    Bun.gc(true);
    const held = heapSize() - before;
    // 4 MB of text: a rope of it (`+=`) held about 50 MB.
    expect(held).toBeLessThan(count * 4 * 3);
    expect(gathered.whole().length).toBe(count * 4);
  });
});
