import { describe, expect, test } from "bun:test";
import {
  ANTHROPIC_STREAM,
  CHUNK,
  decode,
  encoder,
  OPENAI_STREAM,
  readAll,
  relay,
  splitAt,
  text,
  USAGE_CHUNK,
  upstream,
} from "./byte-relay-fixture.ts";

// The bytes a relay passes on and the usage it reads on the way, however the upstream's reads
// are split. Its failures are in byte-relay-failures.test.ts, its end in byte-relay-end.test.ts.

describe("ByteRelay: bytes through, usage read on the way", () => {
  test("relays every byte; usage counted exactly at every split of the stream", async () => {
    const length = encoder.encode(OPENAI_STREAM).length;
    for (let i = 0; i <= length; i++) {
      const { source, meter, done } = relay(upstream(splitAt(OPENAI_STREAM, i)), "openai");
      expect(text(await readAll(source))).toBe(OPENAI_STREAM);
      expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
      expect(done()).toBe(1);
    }
  });

  test("byte by byte: same bytes, same usage", async () => {
    const parts = [...encoder.encode(OPENAI_STREAM)].map((b) => Uint8Array.of(b));
    const { source, meter } = relay(upstream(parts), "openai");
    expect(text(await readAll(source))).toBe(OPENAI_STREAM);
    expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
  });

  test("the forced usage chunk is cut out at every split, and still counted", async () => {
    const expected = OPENAI_STREAM.replace(USAGE_CHUNK, "");
    const length = encoder.encode(OPENAI_STREAM).length;
    for (let i = 0; i <= length; i++) {
      const { source, meter } = relay(upstream(splitAt(OPENAI_STREAM, i)), "openai", { strip: true });
      expect(text(await readAll(source))).toBe(expected);
      expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
    }
  });

  test("Anthropic usage spread over message_start and message_delta, at every split", async () => {
    const length = encoder.encode(ANTHROPIC_STREAM).length;
    for (let i = 0; i <= length; i++) {
      const { source, meter } = relay(upstream(splitAt(ANTHROPIC_STREAM, i)), "anthropic");
      expect(text(await readAll(source))).toBe(ANTHROPIC_STREAM);
      expect(meter.usage).toEqual({ inputTokens: 25, outputTokens: 9, cachedInputTokens: 5 });
    }
  });

  test('only a `"usage": {` key marks a usage event, whatever its text holds, at every split', async () => {
    // Near misses of the key (another key ending in it, the word in a string, a null usage) are
    // relayed; the usage event (its text not all ASCII) is read as UTF-8 and cut out.
    const misses =
      'data: {"id":"c","choices":[],"max_usage":{"prompt_tokens":99},"note":"usage\\": {","usage":null}\n\n';
    const usage =
      'data: {"id":"c","model":"modèle ✓","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":6}}\n\n';
    const stream = `${CHUNK(0)}${misses}${usage}data: [DONE]\n\n`;
    const length = encoder.encode(stream).length;
    for (let i = 0; i <= length; i++) {
      const { source, meter } = relay(upstream(splitAt(stream, i)), "openai", { strip: true });
      expect(text(await readAll(source))).toBe(`${CHUNK(0)}${misses}data: [DONE]\n\n`);
      expect(meter.usage).toEqual({ inputTokens: 5, outputTokens: 6 });
    }
  });

  test("a usage event written over several data lines is still read whole", async () => {
    const stream = `${CHUNK(0)}data: {"id":"c","choices":[],\ndata: "usage":{"prompt_tokens":3,"completion_tokens":4}}\n\ndata: [DONE]\n\n`;
    const { source, meter } = relay(upstream([encoder.encode(stream)]), "openai", { strip: true });
    expect(text(await readAll(source))).toBe(`${CHUNK(0)}data: [DONE]\n\n`);
    expect(meter.usage).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  test("one write per upstream read: several events in a read go out together, a half event waits", async () => {
    const reads = [
      CHUNK(0) + CHUNK(1) + CHUNK(2).slice(0, 30),
      CHUNK(2).slice(30) + USAGE_CHUNK,
      "data: [DONE]\n\n",
    ];
    const { source } = relay(upstream(reads.map((r) => encoder.encode(r))), "openai");
    const writes = (await readAll(source)).map(decode);
    expect(writes).toEqual([CHUNK(0) + CHUNK(1), CHUNK(2) + USAGE_CHUNK, "data: [DONE]\n\n"]);
  });

  test("comments before the first event are held until a data event commits the stream", async () => {
    const reads = [": ping\n\n", ": ping\n\n", CHUNK(0)];
    const { source } = relay(upstream(reads.map((r) => encoder.encode(r))), "openai");
    await source.start();
    expect(decode(await source.next())).toBe(reads.join(""));
  });

  test("bytes after the end marker are still relayed", async () => {
    const reads = [OPENAI_STREAM, ": trailing comment\n\n"];
    const { source } = relay(upstream(reads.map((r) => encoder.encode(r))), "openai");
    expect(text(await readAll(source))).toBe(reads.join(""));
  });
});
