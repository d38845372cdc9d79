import { describe, expect, spyOn, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import type { ByteFeed } from "../providers/http/streamed-answer.ts";
import { UpstreamEvents } from "../providers/http/upstream-events.ts";
import { chatStreamToMessages } from "../translate/anthropic-to-openai/chat-stream-to-messages.ts";
import { messagesStreamToChat } from "../translate/openai-to-anthropic/messages-stream-to-chat.ts";
import type { TranslatedStream } from "../translate/stream/stream-driver.ts";
import type { EventSink, EventTranslation } from "../translate/stream/stream-translation.ts";
import { Attempt } from "./attempt.ts";
import { decode, encoder, readUntilError, text, type Upstream, upstream } from "./byte-relay-fixture.ts";
import { TranslatedRelay } from "./translated-relay.ts";

// A translated stream relayed one chunk per upstream read: the same client bytes however the
// upstream's reads are split, and the failures where the router and the front door expect them.

const fixture = (name: string) => readFileSync(join(import.meta.dir, "../translate/fixtures", name), "utf8");
const CHAT = fixture("openai/chat-text.sse.txt");
const MESSAGES = fixture("anthropic/message-text.sse.txt");

type Translate = (events: AsyncIterable<never>, onUsage: (usage: Usage) => void) => TranslatedStream;
const toMessages: Translate = (events, onUsage) =>
  chatStreamToMessages(events, { requestedModel: "m", onUsage });
const toChat: Translate = (events, onUsage) =>
  messagesStreamToChat(events, { requestedModel: "m", includeUsage: true, created: 7, onUsage });

/** A translation of an upstream body of `parts` (one read each), as a provider's reply hands it over. */
function translation(parts: Uint8Array[] | Upstream, translate: Translate, stall = false, idleMs = 5_000) {
  const up = Array.isArray(parts) ? upstream(parts, stall) : parts;
  const attempt = new Attempt(
    new AbortController().signal,
    { connectMs: 5_000, firstByteMs: 5_000, idleMs },
    "provider:a",
  );
  const usage: Usage[] = [];
  const events = new UpstreamEvents("a", up.stream.getReader(), attempt, 4096);
  const translated = translate(events as AsyncIterable<never>, (found) => usage.push(found));
  return { up, attempt, usage, events, translated };
}

/** A relay over `parts`, wired as the router wires one. */
function relay(parts: Uint8Array[] | Upstream, translate: Translate, stall = false, idleMs = 5_000) {
  const { up, attempt, usage, events, translated } = translation(parts, translate, stall, idleMs);
  const ends: (GatewayError | undefined)[] = [];
  const source = new TranslatedRelay(events, attempt, translated.translation, translated.failureEvents, {
    done: (error) => ends.push(error),
  });
  return { source, up, usage, ends };
}

/** The client bytes of the async driver over the whole stream's events (the reference). */
async function reference(whole: string, translate: Translate): Promise<string> {
  const { translated } = translation([encoder.encode(whole)], translate);
  let out = "";
  for await (const event of translated.events) out += encodeSse(event);
  return out;
}

const splitAt = (whole: string, i: number) => {
  const bytes = encoder.encode(whole);
  return [bytes.subarray(0, i), bytes.subarray(i)].filter((part) => part.length > 0);
};

/** An upstream whose reads the test hands over one at a time, its body left open. */
function controlled() {
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const up: Upstream = {
    cancelled: false,
    stream: new ReadableStream<Uint8Array>({
      start(controller) {
        control = controller;
      },
      cancel() {
        up.cancelled = true;
      },
    }),
  };
  const send = (text: string) => control?.enqueue(encoder.encode(text));
  return { up, send, close: () => control?.close() };
}

describe("TranslatedRelay: one chunk a read", () => {
  for (const [name, whole, translate] of [
    ["chat → messages", CHAT, toMessages],
    ["messages → chat", MESSAGES, toChat],
  ] as const) {
    test(`${name}: the same client bytes and usage at every split of a recorded stream`, async () => {
      const expected = await reference(whole, translate);
      const whole1 = relay([encoder.encode(whole)], translate);
      const one = await readUntilError(whole1.source);
      expect(text(one.out)).toBe(expected);
      const usage = whole1.usage;
      expect(usage.length).toBeGreaterThan(0);
      for (let i = 0; i <= encoder.encode(whole).length; i++) {
        const split = relay(splitAt(whole, i), translate);
        const read = await readUntilError(split.source);
        expect(read.error).toBeUndefined();
        expect(text(read.out)).toBe(expected);
        expect(split.usage).toEqual(usage);
        expect(split.ends).toEqual([undefined]);
      }
    });

    test(`${name}: byte by byte, the same bytes, no empty chunk`, async () => {
      const expected = await reference(whole, translate);
      const parts = [...encoder.encode(whole)].map((b) => Uint8Array.of(b));
      const { source, usage } = relay(parts, translate);
      const read = await readUntilError(source);
      expect(text(read.out)).toBe(expected);
      expect(read.out.every((chunk) => chunk.length > 0)).toBe(true);
      expect(usage.length).toBeGreaterThan(0);
    });
  }

  test("a read holding the whole stream is one chunk, handed out ready and drained", async () => {
    const { source, up } = relay([encoder.encode(CHAT)], toMessages);
    await source.start();
    const first = source.ready();
    expect(decode(first)).toBe(await reference(CHAT, toMessages));
    expect(source.drained).toBe(true);
    expect(await source.next()).toBeUndefined();
    expect(up.cancelled).toBe(false);
  });

  test("a body that ends in a read of its own after the end marker is read to its end, not cut", async () => {
    const { up, send, close } = controlled();
    send(CHAT);
    const { source, ends } = relay(up, toMessages);
    await source.start();
    // The answer's last events go out at once; the body's end is the next pull's.
    expect(decode(source.ready())).toBe(await reference(CHAT, toMessages));
    expect(source.drained).toBe(false);
    const end = source.next();
    close();
    expect(await end).toBeUndefined();
    expect(up.cancelled).toBe(false);
    expect(ends).toEqual([undefined]);
  });

  test("several events in a read make one chunk; half an event waits for its end", async () => {
    const events = CHAT.split("\n\n").filter((e) => e !== "");
    // Three reads: two whole events and half a third; its end and the rest; nothing more.
    const cut = events[2]?.length ?? 0;
    const head = `${events[0]}\n\n${events[1]}\n\n${events[2]?.slice(0, cut / 2)}`;
    const tail = CHAT.slice(head.length);
    const { source } = relay([encoder.encode(head), encoder.encode(tail)], toMessages);
    const read = await readUntilError(source);
    expect(read.out).toHaveLength(2);
    expect(text(read.out)).toBe(await reference(CHAT, toMessages));
  });

  test("a usage object split across reads is counted once, exactly", async () => {
    const at = CHAT.indexOf('"prompt_tokens"') + 5;
    const { source, usage } = relay(splitAt(CHAT, at), toMessages);
    await readUntilError(source);
    expect(usage).toEqual([{ inputTokens: 19, outputTokens: 10 }]);
  });
});

describe("TranslatedRelay: failures", () => {
  test("an error before the first event is thrown for the router, the upstream released", async () => {
    const error = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
    const { source, up, ends } = relay([encoder.encode(error + CHAT)], toMessages);
    await expect(Promise.resolve().then(() => source.start())).rejects.toThrow("overloaded");
    expect(ends).toHaveLength(1);
    expect(up.cancelled).toBe(true);
  });

  test("an error right after the answer's opening is thrown for the router, nothing sent: Anthropic's overloaded_error after message_start for a chat caller, a server error after the role chunk for a Messages caller (at every split)", async () => {
    const messagesHead = MESSAGES.split("\n\n").slice(0, 3).join("\n\n");
    const chatHead = CHAT.split("\n\n")[0];
    for (const [whole, translate, said] of [
      [
        `${messagesHead}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`,
        toChat,
        "Overloaded",
      ],
      [
        `${chatHead}\n\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n`,
        toMessages,
        "overloaded",
      ],
    ] as const) {
      for (let i = 1; i <= encoder.encode(whole).length; i++) {
        const { source, ends } = relay(splitAt(whole, i), translate);
        const failure = await Promise.resolve()
          .then(() => source.start())
          .then(
            () => undefined,
            (thrown: GatewayError) => thrown,
          );
        expect([i, failure?.message, failure?.retryable]).toEqual([i, said, true]);
        expect(ends).toHaveLength(1);
      }
    }
  });

  test("the answer's opening goes out with its first text, in one write", async () => {
    const events = MESSAGES.split("\n\n");
    const { source } = relay(
      events.slice(0, 5).map((event) => encoder.encode(`${event}\n\n`)),
      toChat,
      true,
    );
    await source.start();
    const first = decode(source.ready());
    expect(first).toContain('"role":"assistant"');
    expect(first).toContain('"content":"Hello"');
  });

  test("the role chunk a translation writes is decoded only when a read's events end at it: with the answer's first text behind it in the same read, the answer began, whatever it held (at every split)", async () => {
    const opened = MESSAGES.indexOf("\n\n") + 2;
    const firstText = MESSAGES.indexOf("\n\n", MESSAGES.indexOf('"text":"Hello"')) + 2;
    const parses = spyOn(JSON, "parse");
    try {
      for (let i = 0; i <= MESSAGES.length; i++) {
        const { source } = relay(splitAt(MESSAGES, i), toChat);
        parses.mockClear();
        await source.start();
        // The caller's role chunk, not the upstream's message_start (which names the role too).
        const decoded = parses.mock.calls.filter(
          ([data]) => String(data).includes("chat.completion.chunk") && String(data).includes('"role"'),
        );
        const endsAtChunk = i >= opened && i < firstText;
        expect([i, decoded.length]).toEqual([i, endsAtChunk ? 1 : 0]);
        expect(decode(source.ready())).toContain('"content":"Hello"');
        source.cancel();
      }
    } finally {
      parses.mockRestore();
    }
  });

  test("an error after the first event: the events before it, then the failure once", async () => {
    const events = CHAT.split("\n\n");
    const head = `${events.slice(0, 3).join("\n\n")}\n\n`;
    const error = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
    const { source, ends } = relay([encoder.encode(head + error)], toMessages);
    const read = await readUntilError(source);
    expect(text(read.out)).toContain("content_block_delta");
    expect(read.error?.message).toBe("overloaded");
    expect(source.drained).toBe(false);
    expect(ends).toEqual([read.error]);
    const failing = source.failureEvents?.(read.error as GatewayError);
    expect(failing?.map((event) => event.event)).toEqual(["error"]);
  });

  test("a chat stream cut before its finish fails after its events, its end marker missing: the words its relay as bytes says", async () => {
    const cut = CHAT.slice(0, CHAT.indexOf('"finish_reason":"stop"') - 200);
    const { source } = relay([encoder.encode(cut.slice(0, cut.lastIndexOf("\n\n") + 2))], toMessages);
    const read = await readUntilError(source);
    expect(read.out.length).toBeGreaterThan(0);
    expect(read.error?.message).toBe("upstream a ended the stream without its end marker");
  });

  test("an end marker after content makes the answer whole without its finish, as on the byte relay", async () => {
    // `[DONE]` with no `finish_reason` before it (some OpenAI-compatible servers), and
    // `message_stop` with no `message_delta`: the answer is over, stopped without a reason given.
    const events = (whole: string) => whole.split("\n\n").filter((e) => e !== "");
    const noFinish = `${events(CHAT)
      .filter((e) => !e.includes('"finish_reason":"stop"'))
      .join("\n\n")}\n\n`;
    const noDelta = `${events(MESSAGES)
      .filter((e) => !e.startsWith("event: message_delta"))
      .join("\n\n")}\n\n`;
    for (const [whole, translate, says] of [
      [noFinish, toMessages, '"delta":{"stop_reason":"end_turn","stop_sequence":null}'],
      [noDelta, toChat, '"finish_reason":"stop"'],
    ] as const) {
      const { source, ends } = relay([encoder.encode(whole)], translate);
      const read = await readUntilError(source);
      expect(read.error).toBeUndefined();
      expect(text(read.out)).toContain(says);
      expect(source.complete).toBe(true);
      expect(ends).toEqual([undefined]);
    }
  });

  test("an empty stream ended before any event: thrown for the router in the byte relay's words, the upstream named (stream-end.ts cutOff)", async () => {
    const { source } = relay([encoder.encode(": keep-alive\n\n")], toMessages);
    await expect(Promise.resolve().then(() => source.start())).rejects.toThrow(
      "upstream a ended the stream without its end marker",
    );
  });

  test("an end marker and nothing before it: a stream with no answer in it, as the byte relay reads it", async () => {
    const { source } = relay([encoder.encode("data: [DONE]\n\n")], toMessages);
    await expect(Promise.resolve().then(() => source.start())).rejects.toThrow(
      "upstream a sent a body with no answer in it",
    );
  });

  test("a chat stream with no choice in it: thrown for the router in the byte relay's words, the upstream named (read-reply.ts noAnswer)", async () => {
    const none = 'data: {"id":"c","choices":[]}\n\ndata: {"id":"c","choices":null}\n\ndata: [DONE]\n\n';
    const { source } = relay([encoder.encode(none)], toMessages);
    await expect(Promise.resolve().then(() => source.start())).rejects.toThrow(
      "upstream a sent a body with no answer in it",
    );
  });

  test("an upstream silent after the first event fails under the idle bound, its read released", async () => {
    const head = `${CHAT.split("\n\n").slice(0, 3).join("\n\n")}\n\n`;
    const { source, up, ends } = relay([encoder.encode(head)], toMessages, true, 30);
    const read = await readUntilError(source);
    expect(read.out.length).toBeGreaterThan(0);
    expect(read.error?.code).toBe("upstream_timeout");
    expect(up.cancelled).toBe(true);
    expect(ends).toEqual([read.error]);
  });

  test("a line past the bound fails the stream after the events before it, still arriving or whole, in bytes as the byte relay counts", async () => {
    const head = `${CHAT.split("\n\n").slice(0, 3).join("\n\n")}\n\n`;
    // 5,000 bytes still arriving; 4,098 bytes whole, 1,366 characters, with the rest of the stream.
    for (const line of [`data: ${"x".repeat(5000)}`, `data: ${"€".repeat(1364)}\n\n${CHAT}`]) {
      const { source } = relay([encoder.encode(head), encoder.encode(line)], toMessages);
      const read = await readUntilError(source);
      expect(read.out.length).toBeGreaterThan(0);
      expect(read.error?.message).toBe("upstream a sent an event-stream line longer than 4096 bytes");
    }
  });

  test("a read that throws instead of rejecting fails the stream as a cut connection", async () => {
    const head = encoder.encode(`${CHAT.split("\n\n").slice(0, 3).join("\n\n")}\n\n`);
    let reads = 0;
    let cancelled = false;
    const feed: ByteFeed = {
      readMany: () => {
        if (reads++ === 0) return { done: false, value: [head], size: 1 };
        throw new TypeError("socket gone");
      },
      cancel: async () => {
        cancelled = true;
      },
    };
    const attempt = new Attempt(
      new AbortController().signal,
      { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
      "provider:a",
    );
    const events = new UpstreamEvents("a", feed, attempt, 4096);
    const translated = toMessages(events as AsyncIterable<never>, () => {});
    const ends: (GatewayError | undefined)[] = [];
    const source = new TranslatedRelay(events, attempt, translated.translation, translated.failureEvents, {
      done: (error) => ends.push(error),
    });
    const read = await readUntilError(source);
    expect(read.out.length).toBeGreaterThan(0);
    expect(read.error?.message).toBe("upstream a closed the connection mid-stream");
    expect(ends).toEqual([read.error]);
    expect(cancelled).toBe(true);
  });

  test("an error event the translation wrote fails the attempt as it fails the record, however the body's end is read: in the same read, in one of its own, not at all (bytes after it), or the client leaves first", async () => {
    // The built-in writers throw an upstream's failure (the test above); a translation that writes
    // its dialect's error event instead leaves HTTP 200, and the relay records it (`push`).
    class EchoUntilError implements EventTranslation {
      done = false;
      upstreamEvents = 0;
      take(event: SseEvent, out: EventSink): boolean {
        out.push(event);
        this.done = event.event === "error";
        return this.done;
      }
      end(): true {
        this.done = true;
        return true;
      }
    }
    const events = MESSAGES.split("\n\n");
    const answer = `${events.slice(0, 4).join("\n\n")}\n\n`;
    const error =
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    for (const then of ["the same read", "its own read", "more bytes", "the client leaves"] as const) {
      const { up, send, close } = controlled();
      send(answer + error);
      if (then === "the same read") close();
      const attempt = new Attempt(
        new AbortController().signal,
        { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
        "provider:a",
      );
      const ends: (GatewayError | undefined)[] = [];
      const source = new TranslatedRelay(
        new UpstreamEvents("a", up.stream.getReader(), attempt, 4096),
        attempt,
        new EchoUntilError(),
        undefined,
        { done: (failure) => ends.push(failure) },
      );
      await source.start();
      expect(decode(source.ready())).toEndWith(error);
      if (then === "the client leaves") source.cancel();
      else if (!source.drained) {
        const end = source.next();
        if (then === "its own read") close();
        else send(CHAT);
        expect(await end).toBeUndefined();
      }
      expect([then, source.reported?.status, ends]).toEqual([then, 502, [source.reported]]);
      expect(up.cancelled).toBe(then !== "the same read" && then !== "its own read");
    }
  });

  test("the client leaving cancels the upstream read", async () => {
    const events = CHAT.split("\n\n");
    const head = `${events.slice(0, 3).join("\n\n")}\n\n`;
    const { source, up, ends } = relay([encoder.encode(head)], toMessages, true);
    await source.start();
    expect(source.ready()).toBeDefined();
    const pending = source.next();
    source.cancel();
    await expect(pending).rejects.toBeDefined();
    expect(up.cancelled).toBe(true);
    expect(ends).toHaveLength(1);
  });
});

describe("TranslatedRelay: the whole answer, and signs of life", () => {
  test("complete once the answer's last events are handed out, before the upstream's body ends", async () => {
    // The SDKs stop reading at `[DONE]` and cancel; an upstream slow to end its body after
    // `message_stop` must not make that a client that left (499).
    const events = MESSAGES.split("\n\n").filter((e) => e !== "");
    const { up, send } = controlled();
    // Up to the answer's first text: the relay commits there (the events before only open it).
    send(`${events.slice(0, 4).join("\n\n")}\n\n`);
    const { source, ends } = relay(up, toChat);
    await source.start();
    expect(source.ready()).toBeDefined();
    expect(source.complete).toBe(false);
    send(`${events.slice(4).join("\n\n")}\n\n`);
    const last = await source.next();
    expect(decode(last)).toContain("data: [DONE]");
    expect(source.complete).toBe(true);
    source.cancel();
    expect(ends).toHaveLength(1);
  });

  test("keep-alives after the first event hold the idle bound off, as the byte relay's do", async () => {
    // Anthropic's `ping` events for three idle bounds, then the rest of the answer: the upstream
    // was never silent. The pings are the stimulus; what is asserted is the whole answer.
    const IDLE_MS = 500;
    const events = MESSAGES.split("\n\n").filter((e) => e !== "");
    const { up, send, close } = controlled();
    send(`${events.slice(0, 4).join("\n\n")}\n\n`);
    const { source } = relay(up, toChat, false, IDLE_MS);
    let pings = 0;
    const pinging = setInterval(() => {
      if (++pings <= 30) send('event: ping\ndata: {"type":"ping"}\n\n');
      else {
        clearInterval(pinging);
        send(`${events.slice(4).join("\n\n")}\n\n`);
        close();
      }
    }, IDLE_MS / 10);
    try {
      const read = await readUntilError(source);
      expect(read.error).toBeUndefined();
      expect(text(read.out)).toContain("data: [DONE]");
    } finally {
      clearInterval(pinging);
    }
  });
});
