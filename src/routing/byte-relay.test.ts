import { describe, expect, test } from "bun:test";
import type { Dialect } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Provider } from "../providers/provider.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { adaptDialect } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import { ByteRelay } from "./byte-relay.ts";

const encoder = new TextEncoder();
const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));

const CHUNK = (i: number) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w${i}"}}],"usage":null}\n\n`;
const USAGE_CHUNK =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}\n\n';
const OPENAI_STREAM = `${CHUNK(0)}${CHUNK(1)}${CHUNK(2)}${USAGE_CHUNK}data: [DONE]\n\n`;

const ANTHROPIC_STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":20,"cache_read_input_tokens":5,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

const openai: Provider = { name: "a", dialect: "openai", call: () => Promise.reject(new Error("unused")) };
/** The predicate the router uses when it forced `include_usage` for a caller that did not ask. */
const stripForced = adaptDialect("chat", { model: "m", messages: [], stream: true }, openai, "m").keep;

interface Upstream {
  readonly stream: ReadableStream<Uint8Array>;
  /** Set when the relay cancelled its read of the upstream. */
  cancelled: boolean;
}

/** An upstream body that answers each read with the next part; `stall` leaves the last read pending. */
function upstream(parts: Uint8Array[], stall = false): Upstream {
  let at = 0;
  const state: Upstream = {
    cancelled: false,
    stream: new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts[at++];
        if (part) controller.enqueue(part);
        else if (stall) return new Promise(() => {});
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    }),
  };
  return state;
}

function relay(
  up: Upstream,
  dialect: Dialect,
  options: { strip?: boolean; idleMs?: number; declared?: number } = {},
) {
  const meter = new StreamUsageMeter(dialect);
  const attempt = new Attempt(
    new AbortController().signal,
    { connectMs: 5_000, firstByteMs: 5_000, idleMs: options.idleMs ?? 5_000 },
    "provider:a",
  );
  let done = 0;
  const source = new ByteRelay(
    up.stream.getReader(),
    attempt,
    {
      provider: "a",
      maxLine: 4096,
      onUsage: (event) => {
        meter.observe(event);
        return options.strip && stripForced ? stripForced(event) : true;
      },
      done: () => done++,
    },
    options.declared,
  );
  return { source, meter, attempt, done: () => done };
}

async function readAll(source: ByteRelay): Promise<Uint8Array[]> {
  await source.start();
  const out: Uint8Array[] = [];
  for (let chunk = await source.next(); chunk; chunk = await source.next()) out.push(chunk);
  return out;
}

const splitAt = (whole: string, i: number) => {
  const bytes = encoder.encode(whole);
  return [bytes.subarray(0, i), bytes.subarray(i)].filter((part) => part.length > 0);
};

describe("ByteRelay", () => {
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
    const writes = (await readAll(source)).map((chunk) => new TextDecoder().decode(chunk));
    expect(writes).toEqual([CHUNK(0) + CHUNK(1), CHUNK(2) + USAGE_CHUNK, "data: [DONE]\n\n"]);
  });

  test("comments before the first event are held until a data event commits the stream", async () => {
    const reads = [": ping\n\n", ": ping\n\n", CHUNK(0)];
    const { source } = relay(upstream(reads.map((r) => encoder.encode(r))), "openai");
    await source.start();
    expect(new TextDecoder().decode(await source.next())).toBe(reads.join(""));
  });

  test("an error event is reported; an in-band OpenAI error chunk too", async () => {
    const anthropic = relay(
      upstream([
        encoder.encode('event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}\n\n'),
      ]),
      "anthropic",
    );
    await readAll(anthropic.source);
    expect(anthropic.source.reported?.code).toBe("upstream_error");
    const chat = relay(
      upstream([encoder.encode(`${CHUNK(0)}data: {"error":{"message":"boom"}}\n\n`)]),
      "openai",
    );
    await readAll(chat.source);
    expect(chat.source.reported?.status).toBe(502);
    const clean = relay(upstream([encoder.encode(OPENAI_STREAM)]), "openai");
    await readAll(clean.source);
    expect(clean.source.reported).toBeUndefined();
  });

  test("a stream cut off before its end marker is relayed, then fails (at every split)", async () => {
    for (const [whole, dialect] of [
      [`${CHUNK(0)}${CHUNK(1)}`, "openai"],
      [ANTHROPIC_STREAM.replace('event: message_stop\ndata: {"type":"message_stop"}\n\n', ""), "anthropic"],
    ] as const) {
      const length = encoder.encode(whole).length;
      for (let i = 1; i <= length; i++) {
        const { source } = relay(upstream(splitAt(whole, i)), dialect);
        await source.start();
        const out: Uint8Array[] = [];
        const error = await (async () => {
          for (let chunk = await source.next(); chunk; chunk = await source.next()) out.push(chunk);
        })().catch((e: unknown) => e as GatewayError);
        expect(text(out)).toBe(whole);
        expect(error?.code).toBe("upstream_error");
        expect(error?.message).toContain("without its end marker");
      }
    }
  });

  test("a malformed event is not relayed: the events before it are, then the stream fails", async () => {
    const whole = `${CHUNK(0)}data: <html>502 Bad Gateway</html>\n\n${CHUNK(1)}data: [DONE]\n\n`;
    const { source, done } = relay(upstream([encoder.encode(whole)]), "openai");
    await source.start();
    expect(new TextDecoder().decode(await source.next())).toBe(CHUNK(0));
    const error = (await source.next().catch((e: unknown) => e)) as GatewayError;
    expect([error.code, error.message]).toEqual([
      "upstream_error",
      "upstream a sent a malformed stream event",
    ]);
    expect(done()).toBe(1);
  });

  test("bytes that never complete an event do not hold off the idle bound", async () => {
    // One whole event, then half of one that never finishes, a byte at a time.
    let reads = 0;
    const trickle = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (reads++ === 0) return controller.enqueue(encoder.encode(`${CHUNK(0)}data: {"partial`));
        await Bun.sleep(2); // stimulus: the trickle, a byte every 2 ms, well inside the idle bound
        controller.enqueue(encoder.encode("x"));
      },
    });
    const { source, attempt } = relay({ stream: trickle, cancelled: false }, "openai", { idleMs: 30 });
    await source.start();
    await source.next();
    const error = (await source.next().catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("the next chunk");
    expect(attempt.signal.aborted).toBe(true);
  });

  test("the upstream's end taken with the end marker: drained at once, nothing more to read", async () => {
    // The whole stream in one read, the end right behind it (what a burst upstream sends).
    const { source, attempt, done } = relay(upstream([encoder.encode(OPENAI_STREAM)]), "openai");
    await source.start();
    expect(source.drained).toBe(true);
    expect(done()).toBe(1);
    expect(new TextDecoder().decode(source.ready())).toBe(OPENAI_STREAM);
    expect(await source.next()).toBeUndefined();
    expect(attempt.signal.aborted).toBe(false);
    // The same after a first read: the last read carries the marker and the end follows it.
    const later = relay(
      upstream([encoder.encode(CHUNK(0)), encoder.encode(`${USAGE_CHUNK}data: [DONE]\n\n`)]),
      "openai",
    );
    await later.source.start();
    expect(later.source.drained).toBe(false);
    expect(new TextDecoder().decode(await later.source.next())).toBe(CHUNK(0));
    expect(new TextDecoder().decode(await later.source.next())).toBe(`${USAGE_CHUNK}data: [DONE]\n\n`);
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
    const { source, done } = relay({ stream: slow, cancelled: false }, "openai");
    await source.start();
    expect(source.drained).toBe(false);
    expect(new TextDecoder().decode(await source.next())).toBe(OPENAI_STREAM);
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
    expect(new TextDecoder().decode(source.ready())).toBe(OPENAI_STREAM);
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
    const { source } = relay({ stream: whole, cancelled: false }, "openai");
    // The relay itself, for the router to commit to in the same turn.
    expect(source.start()).toBe(source);
    expect(source.drained).toBe(true);
    expect(new TextDecoder().decode(source.ready())).toBe(OPENAI_STREAM);
  });

  test("several chunks waiting in the body go out as one read", async () => {
    const parts = [CHUNK(0), CHUNK(1), `${USAGE_CHUNK}data: [DONE]\n\n`];
    const queued = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
    const { source, meter } = relay({ stream: queued, cancelled: false }, "openai");
    await source.start();
    expect(source.drained).toBe(true);
    expect(new TextDecoder().decode(source.ready())).toBe(parts.join(""));
    expect(meter.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
  });

  test("bytes after the end marker are still relayed", async () => {
    const reads = [OPENAI_STREAM, ": trailing comment\n\n"];
    const { source } = relay(upstream(reads.map((r) => encoder.encode(r))), "openai");
    expect(text(await readAll(source))).toBe(reads.join(""));
  });

  test("cancel stops the upstream read and releases the attempt once", async () => {
    const up = upstream([encoder.encode(CHUNK(0))], true);
    const { source, attempt, done } = relay(up, "openai");
    await source.start();
    expect(new TextDecoder().decode(await source.next())).toBe(CHUNK(0));
    const pending = source.next();
    source.cancel();
    source.cancel();
    expect(await pending.catch((e: unknown) => (e as GatewayError).code)).toBe("client_closed");
    expect(attempt.signal.aborted).toBe(true);
    expect(up.cancelled).toBe(true);
    expect(done()).toBe(1);
  });
});
