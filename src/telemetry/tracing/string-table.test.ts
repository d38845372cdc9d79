import { expect, test } from "bun:test";
import { readSpanBatch } from "./read-span-batch.ts";
import { ATTRIBUTE_KEYS, Key } from "./span-attributes.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import type { SpanBatch } from "./span-batch-layout.ts";
import { StringTable, StringTableMirror, type TableUpdate } from "./string-table.ts";

const added = (update: TableUpdate) => JSON.parse(update.added) as string[];

test("a string crosses once; the seed has fixed indices in every generation", () => {
  const table = new StringTable(["k0", "k1"], { strings: 6, chars: 1000 });
  const mirror = new StringTableMirror();
  expect(table.intern("k1")).toBe(1);
  expect(table.intern("a")).toBe(2);
  const first = table.take();
  expect(first).toMatchObject({ generation: 0, from: 0 });
  expect(added(first)).toEqual(["k0", "k1", "a"]);
  expect(mirror.apply(first)).toEqual(["k0", "k1", "a"]);
  // Known strings keep their index and are not sent again.
  expect(table.intern("a")).toBe(2);
  expect(table.intern("b")).toBe(3);
  const second = table.take();
  expect(second).toMatchObject({ generation: 0, from: 3 });
  expect(added(second)).toEqual(["b"]);
  expect(mirror.apply(second)).toEqual(["k0", "k1", "a", "b"]);
  const third = table.take();
  expect(added(third)).toEqual([]);
  expect(mirror.apply(third)).toHaveLength(4);
});

test("over its limit the table starts a new generation at the next batch, the seed first", () => {
  const table = new StringTable(["k"], { strings: 4, chars: 1000 });
  const mirror = new StringTableMirror();
  for (const value of ["a", "b", "c"]) table.intern(value);
  // Over the limit now, but this batch's indices stay valid: the reset waits for the next.
  const full = table.take();
  const before = mirror.apply(full);
  expect(before).toEqual(["k", "a", "b", "c"]);
  expect(table.intern("c")).toBe(1);
  const next = table.take();
  expect(next).toMatchObject({ generation: 1, from: 0 });
  expect(added(next)).toEqual(["k", "c"]);
  const after = mirror.apply(next);
  expect(after).toEqual(["k", "c"]);
  // A batch of the old generation, still being exported, still reads its own strings.
  expect(before).toEqual(["k", "a", "b", "c"]);
});

test("long strings count against the limit as characters", () => {
  const table = new StringTable([], { strings: 100, chars: 10 });
  table.intern("0123456789");
  table.take();
  expect(table.take().generation).toBe(1);
});

test("after a lost batch the next one carries the whole table, its indices unchanged", () => {
  const table = new StringTable(["k"]);
  const mirror = new StringTableMirror();
  table.intern("a");
  const kept = mirror.apply(table.take());
  table.intern("b");
  table.take(); // never reached the thread
  // The batch being filled already holds indices; they stay valid.
  expect(table.intern("c")).toBe(3);
  table.resend();
  expect(table.intern("a")).toBe(1);
  const next = table.take();
  expect(next).toMatchObject({ generation: 0, from: 0 });
  expect(mirror.apply(next)).toEqual(["k", "a", "b", "c"]);
  expect(kept).toEqual(["k", "a"]);
  table.intern("d");
  expect(mirror.apply(table.take())).toEqual(["k", "a", "b", "c", "d"]);
});

test("a mirror that missed a batch says so instead of reading wrong strings", () => {
  const table = new StringTable([]);
  const mirror = new StringTableMirror();
  table.intern("a");
  mirror.apply(table.take());
  table.intern("b");
  table.take();
  table.intern("c");
  expect(() => mirror.apply(table.take())).toThrow("out of step");
});

test("a thousand batches through resets read back every span's strings", () => {
  const writer = new SpanBatchWriter(4, { strings: ATTRIBUTE_KEYS.length + 40, chars: 100_000 });
  const mirror = new StringTableMirror();
  const generations = new Set<number>();
  const resource = { attributes: {} } as unknown as Parameters<SpanBatchWriter["begin"]>[2];
  const scope = { name: "mindgw" };
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  let spans = 0;
  for (let b = 0; b < 1000; b++) {
    const wanted: { name: string; attributes: Record<string, unknown> }[] = [];
    for (let s = 0; s < 4; s++, spans++) {
      // Models repeat (a few), routes mostly do, error messages never: the table fills and resets.
      const name = `chat m${spans % 7}`;
      const route = `route-${spans % 50}`;
      const message = `failed ${spans}`;
      const requestId = `req_${spans.toString(16).padStart(32, "0")}`;
      writer.begin(name, 1, resource, scope);
      writer.context(traceId, (spans + 1).toString(16).padStart(16, "0"), 1, undefined);
      writer.times(1, 0, 2, 0);
      writer.status(2, message);
      writer.text(Key.requestId, requestId);
      writer.text(Key.route, route);
      writer.setAttribute("custom.key", spans % 3 === 0);
      writer.number(Key.inputTokens, spans);
      writer.end();
      wanted.push({
        name,
        attributes: {
          "mindgw.request_id": requestId,
          "mindgw.route": route,
          "custom.key": spans % 3 === 0,
          "gen_ai.usage.input_tokens": spans,
        },
      });
    }
    const batch: SpanBatch = writer.take();
    generations.add(batch.table.generation);
    const read = readSpanBatch(
      batch,
      mirror.apply(batch.table),
      () => resource,
      () => scope,
    );
    expect(read.map((span) => ({ name: span.name, attributes: span.attributes }))).toEqual(wanted);
    expect(read.map((span) => span.status.message)).toEqual(wanted.map((_, s) => `failed ${spans - 4 + s}`));
  }
  // The table was reset many times along the way, and never grew past its bound.
  expect(generations.size).toBeGreaterThan(50);
});

test("a name found by its two parts is the joined string's entry, through a new generation", () => {
  const table = new StringTable([], { strings: 2, chars: 1000 });
  const mirror = new StringTableMirror();
  const chat = table.internJoined("chat", "m");
  expect(table.intern("chat m")).toBe(chat);
  expect(table.internJoined("chat", "m")).toBe(chat);
  const other = table.internJoined("chat", "n");
  const strings = mirror.apply(table.take());
  expect([strings[chat], strings[other]]).toEqual(["chat m", "chat n"]);
  // Over the limit: the next generation finds the names afresh.
  const again = table.internJoined("chat", "n");
  const next = mirror.apply(table.take());
  expect(next).toEqual(["chat n"]);
  expect(next[again]).toBe("chat n");
});

test("a value found under its key is its entry, through a new generation and beside other keys", () => {
  const table = new StringTable(["k0", "k1"], { strings: 4, chars: 1000 });
  const mirror = new StringTableMirror();
  // A value parsed afresh (not the same string object) is found under its key as well.
  const model = table.internUnder(0, "model-a");
  expect(table.internUnder(0, ["model", "a"].join("-"))).toBe(model);
  expect(table.intern("model-a")).toBe(model);
  // The same value under another key, and a key past the seed's, are the same entry.
  expect(table.internUnder(1, "model-a")).toBe(model);
  expect(table.internUnder(7, "model-a")).toBe(model);
  const other = table.internUnder(0, "model-b");
  expect(mirror.apply(table.take())).toEqual(["k0", "k1", "model-a", "model-b"]);
  // Over the limit: the next generation has the seed alone, and the last values are found afresh.
  const again = table.internUnder(0, "model-b");
  expect(again).not.toBe(other);
  expect(table.internUnder(1, "model-a")).toBe(again + 1);
  expect(mirror.apply(table.take())).toEqual(["k0", "k1", "model-b", "model-a"]);
});
