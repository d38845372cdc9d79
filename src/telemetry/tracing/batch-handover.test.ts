import { expect, test } from "bun:test";
import { seeingPosts, threadTestKit } from "./testing/thread-test-kit.ts";
import { ThreadSpanProcessor } from "./thread-span-processor.ts";

// How a batch reaches the export thread (thread-span-processor.ts): its shared memories posted
// once and named after (posted-memory.ts), and a batch that names only what the thread holds
// published in the batch ring (span-batch-ring.ts) rather than posted.

const { receiver, jsonTo, tracerWith } = threadTestKit();

test("a batch's shared memories cross to the thread once: the batches written into them again name them", async () => {
  // Posted with every batch, the same memory arrived on the thread as a new buffer each time
  // (posted-memory.ts). Each batch here is sent and answered before the next is written, so the
  // writer's arrays are its first and second, then the same two again; its strings' too.
  type Posted = { op?: string; numbers: { shared?: unknown }; strings: { shared?: unknown } };
  await seeingPosts<Posted>(async (posted) => {
    const { provider, tracer } = tracerWith(
      new ThreadSpanProcessor({
        env: jsonTo(receiver.url),
        maxExportBatchSize: 3,
        maxPendingSpans: 100,
        onDropped: () => {},
      }),
      "memory-test",
    );
    const id = (b: number, s: number) => `request-${b}-${s}-${"x".repeat(40)}`;
    for (let b = 0; b < 6; b++) {
      for (let s = 0; s < 3; s++)
        tracer
          .startSpan(`batch ${b} span ${s}`)
          .setAttribute("mindgw.request_id", id(b, s))
          .setAttribute("note", `${"é".repeat(20)}${b}`)
          .end();
      await provider.forceFlush();
    }
    const exports = posted.filter((message) => message.op === "export");
    expect(exports).toHaveLength(6);
    const once = [true, true, false, false, false, false];
    expect(exports.map((message) => message.numbers.shared !== undefined)).toEqual(once);
    expect(exports.map((message) => message.strings.shared !== undefined)).toEqual(once);
    const spans = receiver.spans.filter((span) => span.service === "memory-test");
    // Each span's own strings (long values) as written, in memories written again batch after batch.
    expect(spans.map((span) => [span.name, span.attributes["mindgw.request_id"]]).sort()).toEqual(
      Array.from({ length: 18 }, (_, i) => {
        const [b, s] = [Math.floor(i / 3), i % 3];
        return [`batch ${b} span ${s}`, id(b, s)];
      }).sort(),
    );
    expect(new Set(spans.map((span) => span.attributes.note))).toEqual(
      new Set(Array.from({ length: 6 }, (_, b) => `${"é".repeat(20)}${b}`)),
    );
  });
});

test("a batch naming only what the thread holds goes through the ring, not as a message, and arrives whole", async () => {
  // A posted batch cost the event loop its message's clone and the post (span-batch-ring.ts).
  // After the first two (each of a memory the thread does not hold yet, the first with the
  // table's strings and the resource and scope), batches that add nothing go through the ring.
  await seeingPosts<{ op: string }>(async (posted) => {
    const { provider, tracer } = tracerWith(
      new ThreadSpanProcessor({
        env: jsonTo(receiver.url),
        maxExportBatchSize: 2,
        maxPendingSpans: 100,
        onDropped: () => {},
      }),
      "ring-test",
    );
    const id = (b: number, s: number) => `request-${b}-${s}-${"x".repeat(40)}`;
    for (let b = 0; b < 6; b++) {
      for (let s = 0; s < 2; s++)
        tracer.startSpan(`span ${s}`).setAttribute("mindgw.request_id", id(b, s)).end();
      // Answered before the next is written: the writer's memories are its first two, again and again.
      await provider.forceFlush();
    }
    // A new string makes the next batch a message again; the one after it the ring's.
    tracer.startSpan("a new name").end();
    tracer.startSpan("span 0").end();
    await provider.forceFlush();
    tracer.startSpan("span 1").end();
    tracer.startSpan("span 0").end();
    await provider.forceFlush();
    expect(posted.filter((message) => message.op === "export")).toHaveLength(3);
    const spans = receiver.spans.filter((span) => span.service === "ring-test");
    expect(spans.map((span) => [span.name, span.attributes["mindgw.request_id"] ?? null]).sort()).toEqual(
      [
        ...Array.from({ length: 12 }, (_, i) => [`span ${i % 2}`, id(Math.floor(i / 2), i % 2)]),
        ["a new name", null],
        ["span 0", null],
        ["span 1", null],
        ["span 0", null],
      ].sort(),
    );
  });
});
