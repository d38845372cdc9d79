import { describe, expect, test } from "bun:test";
import { encodeInTurns } from "./encode-in-turns.ts";

const record = (i: number) => ({
  id: `req-${i}`,
  status: 200,
  usage: { input: i, output: null },
  attempts: [{ route: "a", ok: i % 2 === 0 }],
  note: i % 3 === 0 ? 'quote " and \u00e9 and \n' : undefined,
});

describe("encodeInTurns", () => {
  test("is JSON.stringify's text for every batch size around the slice", async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 33]) {
      const records = Array.from({ length: n }, (_, i) => record(i));
      expect(await encodeInTurns(records, 4)).toBe(JSON.stringify(records));
    }
  });

  test("lets other work run between slices of a large batch", async () => {
    const records = Array.from({ length: 100 }, (_, i) => record(i));
    const encoding = encodeInTurns(records, 10);
    let ranMeanwhile = false;
    setImmediate(() => {
      ranMeanwhile = true;
    });
    expect(await encoding).toBe(JSON.stringify(records));
    expect(ranMeanwhile).toBe(true);
  });

  test("encodes a batch within one slice without waiting for a turn", async () => {
    const records = Array.from({ length: 10 }, (_, i) => record(i));
    const encoding = encodeInTurns(records, 10);
    let ranMeanwhile = false;
    setImmediate(() => {
      ranMeanwhile = true;
    });
    expect(await encoding).toBe(JSON.stringify(records));
    expect(ranMeanwhile).toBe(false);
  });
});
