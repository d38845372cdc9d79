import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { sseFixture } from "../translate/fixtures/load-fixture.ts";
import { Attempt } from "./attempt.ts";
import { EventChunks, EventReader } from "./event-chunks.ts";

// The decoded-event relay (Claude on Bedrock or Vertex AI, an embedder's provider that yields
// events; a worker's stream comes as bytes, the byte relay's) ends by the byte relay's rule
// (stream-end.ts): whole after the end marker; after the finish, the marker added; cut before
// it, a failure the caller hears of.

const timeouts = { connectMs: 60_000, firstByteMs: 60_000, idleMs: 60_000 };
const decoder = new TextDecoder();

/**
 * A relay of `events` with its first read, as the router commits to one; `open`: the upstream's
 * body does not end after them (the next read waits until the relay lets it go).
 */
async function opened(events: SseEvent[], body: "ends" | "open" = "ends") {
  const attempt = new Attempt(new AbortController().signal, timeouts, "vx-claude");
  async function* source() {
    yield* events;
    if (body === "open") await new Promise(() => {});
  }
  const reader = new EventReader(source()[Symbol.asyncIterator](), attempt, undefined);
  const ended: (GatewayError | undefined)[] = [];
  const chunks = new EventChunks(
    await reader.next(),
    reader,
    attempt,
    (error) => ended.push(error),
    "vx-claude",
  );
  return { chunks, ended };
}

async function relayed(events: SseEvent[]) {
  const { chunks, ended } = await opened(events);
  let text = "";
  let failure: unknown;
  try {
    for (let next = await chunks.next(); next; next = await chunks.next()) text += decoder.decode(next);
  } catch (error) {
    failure = error;
  }
  return {
    text,
    failure,
    ended,
    reported: chunks.reported,
    complete: chunks.complete,
    upstreamEvents: chunks.upstreamEvents,
  };
}

/** A chat stream of two chunks of text, its finish, a server's usage chunk of zeros and `[DONE]`. */
const chatWithUsageAlone: SseEvent[] = [
  ...[{ role: "assistant", content: "Hel" }, { content: "lo" }, {}].map((delta, i) => ({
    data: JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: i === 2 ? "stop" : null }],
    }),
  })),
  {
    data: JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      choices: [],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    }),
  },
  { data: "[DONE]" },
];

const recorded = sseFixture("anthropic/message-text.sse.txt");
const upTo = (name: string) => recorded.slice(0, recorded.findIndex((e) => e.event === name) + 1);

describe("EventChunks: when a relayed stream is whole", () => {
  test("a stream with its message_stop ends as sent, a success", async () => {
    const out = await relayed(recorded);
    expect(out.failure).toBeUndefined();
    expect(out.ended).toEqual([undefined]);
    expect(out.complete).toBe(true);
    expect(out.text.match(/event: message_stop/g)).toHaveLength(1);
  });

  test("message_delta without message_stop: the stop added, a success", async () => {
    const out = await relayed(upTo("message_delta"));
    expect(out.failure).toBeUndefined();
    expect(out.ended).toEqual([undefined]);
    expect(out.complete).toBe(true);
    expect(out.text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  test("cut after a content_block_delta: a failure naming the upstream, recorded as one", async () => {
    const out = await relayed(upTo("content_block_delta"));
    expect((out.failure as GatewayError).code).toBe("upstream_error");
    expect((out.failure as GatewayError).message).toBe(
      "upstream vx-claude ended the stream without its end marker",
    );
    expect(out.ended).toEqual([out.failure as GatewayError]);
    expect(out.complete).toBe(false);
  });

  test("an OpenAI chunk with its finish_reason but no [DONE]: [DONE] added", async () => {
    const out = await relayed([
      { data: '{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}' },
      { data: '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}' },
    ]);
    expect(out.failure).toBeUndefined();
    expect(out.text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("an error event of the stream's own ends it as relayed, without a second one", async () => {
    const error = {
      event: "error",
      data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    };
    const out = await relayed([...upTo("content_block_delta"), error]);
    expect(out.failure).toBeUndefined();
    expect(out.text.match(/event: error/g)).toHaveLength(1);
    // What the request's record says (http/sse-response.ts): the answer failed; and so does the
    // attempt's own close (its audit entry, its span), as the byte relay's does.
    expect([out.reported?.status, out.reported?.message]).toEqual([
      502,
      "the stream ended with an error event",
    ]);
    expect(out.ended).toEqual([out.reported]);
  });

  test("a client that hangs up after the error event (as the SDKs do) leaves the attempt failed, not ok", async () => {
    const error = {
      event: "error",
      data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    };
    // The upstream's body stays open after its error event: the client's leaving ends the relay.
    const { chunks, ended } = await opened([...upTo("content_block_delta"), error], "open");
    for (let next = await chunks.next(); next; next = await chunks.next()) {
      if (new TextDecoder().decode(next).startsWith("event: error")) break;
    }
    chunks.cancel();
    expect(ended).toEqual([chunks.reported]);
    expect(chunks.reported?.status).toBe(502);
  });

  test("a Responses stream's response.failed after output is its end, relayed, and recorded as the failure it is", async () => {
    const event = (type: string, fields: object) => ({
      event: type,
      data: JSON.stringify({ type, ...fields }),
    });
    const answer = [
      event("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } }),
      event("response.output_text.delta", { output_index: 0, delta: "hi" }),
    ];
    const failed = event("response.failed", {
      response: {
        id: "resp_1",
        status: "failed",
        error: { code: "server_error", message: "x" },
        usage: null,
      },
    });
    const out = await relayed([...answer, failed]);
    expect(out.failure).toBeUndefined();
    expect(out.text.match(/event: response\.failed/g)).toHaveLength(1);
    // In the byte relay's words for the same failure (stream-end.ts `reportedFailure`).
    expect([out.reported?.status, out.reported?.message]).toEqual([
      502,
      "the stream ended with a failed response",
    ]);
    expect(out.ended).toEqual([out.reported]);
    const completed = event("response.completed", { response: { id: "resp_1", status: "completed" } });
    expect((await relayed([...answer, completed])).reported).toBeUndefined();
  });
});

describe("EventChunks: the upstream's events, a token each where it reports no usage", () => {
  test("a chunk of usage alone (include_usage's, zeros) is no token of the answer, nor is [DONE]", async () => {
    const out = await relayed(chatWithUsageAlone);
    expect(out.failure).toBeUndefined();
    // Two chunks of text and the finish: 3, as the byte relay and a translation count them.
    expect(out.upstreamEvents).toBe(3);
  });
});
