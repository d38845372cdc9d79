import { describe, expect, test } from "bun:test";
import { converseFrames, eventFrame, exceptionFrame } from "../../../test/fake-cloud/bedrock-wire.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { gatewayErrorOf } from "../../testing/gateway-error-of.ts";
import { BedrockEvents, ConverseDecoder, InvokeDecoder } from "./event-stream.ts";

const answer = { text: "Hello there, general Kenobi", inputTokens: 5, outputTokens: 6 };
const join = (frames: Uint8Array[]) => {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
};
const streamOf = (pieces: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
const decode = async (pieces: Uint8Array[]) => {
  const out: string[] = [];
  const signal = new AbortController().signal;
  for await (const event of new BedrockEvents("br", streamOf(pieces).getReader(), { signal }, "converse")) {
    const payload = JSON.parse(event.data) as { delta?: unknown; stopReason?: unknown };
    out.push(`${event.event}:${JSON.stringify(payload.delta ?? payload.stopReason ?? "")}`);
  }
  return out;
};

describe("ConverseStream event-stream decoding", () => {
  const bytes = join(converseFrames(answer));

  test("decodes every frame the same, however the bytes are split (each split point, and byte by byte)", async () => {
    const whole = await decode([bytes]);
    expect(whole[0]).toBe('messageStart:""');
    expect(whole.at(-2)).toBe('messageStop:"end_turn"');
    for (let cut = 1; cut < bytes.length; cut += 7)
      expect(await decode([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    expect(await decode([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
  });

  test("an exception frame becomes the GatewayError its HTTP twin would be (throttling: retryable)", async () => {
    const frames = [
      ...converseFrames(answer).slice(0, 2),
      exceptionFrame("throttlingException", "slow down"),
    ];
    const error = await decode(frames).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).retryable).toBe(true);
  });

  test("a modelStreamErrorException mid-stream is the model's fault: a retryable 502, never the caller's 4xx", async () => {
    const frames = [
      ...converseFrames(answer).slice(0, 2),
      exceptionFrame("modelStreamErrorException", "The model produced an invalid response."),
    ];
    const thrown = (await decode(frames).catch((e: unknown) => e)) as GatewayError;
    expect([thrown.status, thrown.code, thrown.retryable]).toEqual([502, "upstream_error", true]);
  });

  test("a corrupted checksum or a frame cut short is a 502, never a silent end", async () => {
    const corrupt = bytes.slice();
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    const bad = await decode([corrupt]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(GatewayError);
    expect((bad as GatewayError).status).toBe(502);
    const cut = await decode([bytes.subarray(0, bytes.length - 3)]).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(GatewayError);
    expect((cut as GatewayError).message).toContain("cut an event-stream frame short");
  });

  test("an exception frame after events of the same read: those events first, the failure on the next call", () => {
    const decoder = new ConverseDecoder("br");
    const read = join([
      ...converseFrames(answer).slice(0, 2),
      exceptionFrame("throttlingException", "slow down"),
    ]);
    expect(decoder.push(read).map((event) => event.event)).toEqual(["messageStart", "contentBlockDelta"]);
    const error = (() => {
      try {
        return decoder.end();
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).retryable).toBe(true);
    expect(decoder.end()).toEqual([]);
  });
});

describe("InvokeModelWithResponseStream decoding", () => {
  const chunk = (event: object) =>
    eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(event)).toString("base64") });
  const events = [
    { type: "message_start", message: { id: "msg_1", role: "assistant", content: [] } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
    { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 3 } },
  ];

  test("each chunk's bytes are the model's own event, named by its type, however the bytes are split", () => {
    const bytes = join(events.map(chunk));
    for (const cut of [1, 17, bytes.length >> 1, bytes.length - 1]) {
      const decoder = new InvokeDecoder("br");
      const out = [
        ...decoder.push(bytes.subarray(0, cut)),
        ...decoder.push(bytes.subarray(cut)),
        ...decoder.end(),
      ];
      expect(out.map((event) => event.event)).toEqual([
        "message_start",
        "content_block_delta",
        "message_stop",
      ]);
      expect(out.map((event) => JSON.parse(event.data))).toEqual(events);
    }
  });

  test("a frame that is not a chunk, or a chunk that is no event, is the upstream's fault: a 502", () => {
    for (const frame of [eventFrame("messageStart", { role: "assistant" }), chunk({ no: "type" })]) {
      const error = gatewayErrorOf(() => new InvokeDecoder("br").push(frame));
      expect(error.status).toBe(502);
    }
  });

  test("an exception frame mid-stream is Bedrock's failure, as on Converse", () => {
    const decoder = new InvokeDecoder("br");
    expect(decoder.push(chunk(events[0] ?? {}))).toHaveLength(1);
    expect(
      gatewayErrorOf(() => decoder.push(exceptionFrame("throttlingException", "slow down"))).status,
    ).toBe(429);
    const modelFault = gatewayErrorOf(() =>
      new InvokeDecoder("br").push(exceptionFrame("modelStreamErrorException", "invalid response")),
    );
    expect([modelFault.status, modelFault.code, modelFault.retryable]).toEqual([502, "upstream_error", true]);
  });
});
