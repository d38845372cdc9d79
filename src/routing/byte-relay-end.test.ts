import { describe, expect, test } from "bun:test";
import {
  body,
  CHUNK,
  decode,
  encoder,
  OPENAI_STREAM,
  relay,
  USAGE_CHUNK,
  upstream,
} from "./byte-relay-fixture.ts";

// How a relay ends: with the end marker and the body's end in one read it is drained at once
// (no further pull, no turn of its own); an end that comes later is read when it comes.

describe("ByteRelay: the stream's end", () => {
  test("the upstream's end taken with the end marker: drained at once, nothing more to read", async () => {
    // The whole stream in one read, the end right behind it (what a burst upstream sends).
    const { source, attempt, done } = relay(upstream([encoder.encode(OPENAI_STREAM)]), "openai");
    await source.start();
    expect(source.drained).toBe(true);
    expect(done()).toBe(1);
    expect(decode(source.ready())).toBe(OPENAI_STREAM);
    expect(await source.next()).toBeUndefined();
    expect(attempt.signal.aborted).toBe(false);
    // The same after a first read: the last read carries the marker and the end follows it.
    const later = relay(
      upstream([encoder.encode(CHUNK(0)), encoder.encode(`${USAGE_CHUNK}data: [DONE]\n\n`)]),
      "openai",
    );
    await later.source.start();
    expect(later.source.drained).toBe(false);
    expect(decode(await later.source.next())).toBe(CHUNK(0));
    expect(decode(await later.source.next())).toBe(`${USAGE_CHUNK}data: [DONE]\n\n`);
    expect(later.source.drained).toBe(true);
    expect(later.meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
    expect(later.done()).toBe(1);
  });

  test("an upstream slow to end after the marker: the marker goes out at once, its end is read later", async () => {
    let end: (() => void) | undefined;
    let reads = 0;
    const slow = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (reads++ === 0) return controller.enqueue(encoder.encode(OPENAI_STREAM));
        return new Promise<void>((resolve) => {
          end = () => {
            controller.close();
            resolve();
          };
        });
      },
    });
    const { source, done } = relay(body(slow), "openai");
    await source.start();
    expect(source.drained).toBe(false);
    expect(decode(await source.next())).toBe(OPENAI_STREAM);
    expect(done()).toBe(0);
    const last = source.next();
    end?.();
    expect(await last).toBeUndefined();
    expect(source.reported).toBeUndefined();
    expect(done()).toBe(1);
  });

  test("a declared length all in with the end marker: drained at once, the end is not read", async () => {
    // The body's end never comes: a relay that asked for it would not be drained.
    const up = upstream([encoder.encode(OPENAI_STREAM)], true);
    const length = encoder.encode(OPENAI_STREAM).length;
    const { source, attempt, done, meter } = relay(up, "openai", { declared: length });
    await source.start();
    expect(source.drained).toBe(true);
    expect(done()).toBe(1);
    expect(attempt.signal.aborted).toBe(false);
    expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
    expect(decode(source.ready())).toBe(OPENAI_STREAM);
    expect(await source.next()).toBeUndefined();
    // Bytes still declared after the marker: not drained, the rest is read as it comes.
    const short = relay(upstream([encoder.encode(OPENAI_STREAM)], true), "openai", { declared: length + 1 });
    await short.source.start();
    expect(short.source.drained).toBe(false);
    expect(short.done()).toBe(0);
    short.source.cancel();
  });

  test("a whole answer the body already holds commits with no turn and no promise of its own", () => {
    const whole = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(OPENAI_STREAM));
        controller.close();
      },
    });
    const { source } = relay(body(whole), "openai");
    // The relay itself, for the router to commit to in the same turn.
    expect(source.start()).toBe(source);
    expect(source.drained).toBe(true);
    expect(decode(source.ready())).toBe(OPENAI_STREAM);
  });

  test("several chunks waiting in the body go out as one read", async () => {
    const parts = [CHUNK(0), CHUNK(1), `${USAGE_CHUNK}data: [DONE]\n\n`];
    const queued = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
    const { source, meter } = relay(body(queued), "openai");
    await source.start();
    expect(source.drained).toBe(true);
    expect(decode(source.ready())).toBe(parts.join(""));
    expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
  });
});
