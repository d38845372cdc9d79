import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { anthropicSchemas } from "../anthropic-schema.ts";
import { sseFixture } from "../fixtures/load-fixture.ts";
import { agreesWithZod } from "../testing/agrees-with-zod.ts";
import { readMessagesEvent } from "./messages-event-reader.ts";
import { plainMessagesEvent } from "./plain-messages-event.ts";

const anthropicStreamEvent = anthropicSchemas().streamEvent;
/** Whatever the hand check accepts, zod accepts too, and reads the same. */
const agrees = agreesWithZod(plainMessagesEvent, anthropicStreamEvent);

const fixtureBodies = (name: string): unknown[] =>
  sseFixture(name).map((event) => JSON.parse(event.data) as unknown);

/** What the reader makes of one event body: its read, or the error it throws, as plain data. */
function readOf(body: unknown, eventName?: string): unknown {
  try {
    const read = readMessagesEvent({
      data: JSON.stringify(body),
      ...(eventName ? { event: eventName } : {}),
    });
    return read.kind === "error" ? { kind: "error", message: read.error.message } : read;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { thrown: error.message };
  }
}

describe("plainMessagesEvent", () => {
  test("takes every event of the recorded text stream, as zod reads it", () => {
    const bodies = fixtureBodies("anthropic/message-text.sse.txt");
    expect(bodies.filter(agrees)).toHaveLength(bodies.length);
  });

  test("takes the tool-use stream's events but its tool-use blocks, which zod reads", () => {
    const bodies = fixtureBodies("anthropic/message-tool-use.sse.txt");
    const isToolStart = (body: unknown) =>
      (body as { content_block?: { type?: string } }).content_block?.type === "tool_use";
    expect(bodies.some(isToolStart)).toBe(true);
    // The argument fragments are everyday deltas too: a string `partial_json`.
    for (const body of bodies) expect(agrees(body)).toBe(!isToolStart(body));
  });

  test("leaves the in-band error to zod", () => {
    const error = fixtureBodies("anthropic/message-error.sse.txt").at(-1);
    expect(plainMessagesEvent(error)).toBeUndefined();
  });

  test("keeps unknown fields, as the loose schema does", () => {
    const body = {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "hi", extra: [1] },
      extra: { nested: true },
    };
    expect(agrees(body)).toBe(true);
    expect(
      agrees({ type: "message_delta", delta: {}, usage: { output_tokens: 3, server_tool_use: {} } }),
    ).toBe(true);
  });

  test.each([
    ["not an object", "text"],
    ["an array", []],
    ["no type", { index: 0 }],
    ["an unknown type", { type: "message_pause" }],
    ["a type Object's prototype holds", { type: "toString" }],
    ["the in-band error", { type: "error", error: { type: "x", message: "m" } }],
    ["a missing index", { type: "content_block_delta", delta: { type: "text_delta", text: "a" } }],
    ["a fractional index", { type: "content_block_stop", index: 0.5 }],
    [
      "an index past the safe integers",
      { type: "content_block_delta", index: 2 ** 53, delta: { type: "text_delta", text: "a" } },
    ],
    ["a text index", { type: "content_block_stop", index: "0" }],
    ["a missing delta", { type: "content_block_delta", index: 0 }],
    ["a delta without a type", { type: "content_block_delta", index: 0, delta: { text: "a" } }],
    ["a null text", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: null } }],
    [
      "a numeric partial_json",
      { type: "content_block_delta", index: 0, delta: { type: "x", partial_json: 1 } },
    ],
    [
      "a tool-use block",
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "t", name: "n", input: {} },
      },
    ],
    ["a text block without text", { type: "content_block_start", index: 0, content_block: { type: "text" } }],
    ["a message_delta without a delta", { type: "message_delta", usage: { output_tokens: 1 } }],
    ["a numeric stop reason", { type: "message_delta", delta: { stop_reason: 1 } }],
    ["null usage", { type: "message_delta", delta: {}, usage: null }],
    ["text token counts", { type: "message_delta", delta: {}, usage: { output_tokens: "3" } }],
    ["a message without an id", { type: "message_start", message: { usage: {} } }],
    ["an array message", { type: "message_start", message: [] }],
  ])("leaves %s to zod", (_name, body) => {
    expect(plainMessagesEvent(body)).toBeUndefined();
  });

  test("the reader hands on zod's reading of every fixture event it does not skip", () => {
    for (const fixture of ["message-text", "message-tool-use", "message-error"])
      for (const event of sseFixture(`anthropic/${fixture}.sse.txt`)) {
        const read = readMessagesEvent(event);
        const judged = anthropicStreamEvent.parse(JSON.parse(event.data));
        if (read.kind === "chunk") expect(read.chunk).toEqual(judged);
        else expect(read.kind).toBe(judged.type === "error" ? "error" : "skip");
      }
  });

  test.each([
    ["a ping with fields", { type: "ping", extra: 1 }, undefined, { kind: "skip" }],
    ["a refused event named ping", { type: "content_block_stop" }, "ping", { kind: "skip" }],
    [
      "an index past the safe integers",
      { type: "content_block_stop", index: 2 ** 53 },
      "content_block_stop",
      { thrown: "upstream sent an unreadable stream event" },
    ],
    [
      "an unknown type",
      { type: "message_pause" },
      undefined,
      { thrown: "upstream sent an unreadable stream event" },
    ],
    [
      "the in-band error",
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
      "error",
      { kind: "error", message: "Overloaded" },
    ],
  ])("the reader answers %s as zod alone did", (_name, body, eventName, expected) => {
    expect(readOf(body, eventName)).toEqual(expected);
  });

  test("usage read from a hand-checked message_delta as from zod's copy", () => {
    const body = {
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 7, cache_read_input_tokens: 2 },
    };
    const read = readMessagesEvent({ data: JSON.stringify(body) });
    expect(read).toMatchObject({ kind: "chunk", usage: { outputTokens: 7, cachedInputTokens: 2 } });
  });
});
