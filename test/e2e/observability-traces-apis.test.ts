import { describe, expect, test } from "bun:test";
import WebSocket from "ws";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { startOtlpReceiver } from "./harness/otlp-receiver.ts";
import {
  CALLER_STATE,
  CLIENT,
  configFor,
  hex,
  otelEnv,
  SERVER,
  traceparent,
  tracesFixture,
  WRITTEN_STATE,
} from "./harness/traces-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Traces of the Responses API (a stored response read, WebSocket turns), the same tree over
// OTLP/protobuf, and prompts and answers as GenAI messages when content capture is asked for.

const traces = tracesFixture({ worker: false });
const { fx } = traces;

describe("traces: OTLP export", () => {
  test("reading a stored response is no generation: its span is `mindgw stored_responses`, no GenAI operation", async () => {
    const created = await fetch(`${fx.gw.url}/v1/responses`, {
      method: "POST",
      headers: bearer(traces.key),
      body: JSON.stringify({ model: "m-direct", input: "keep this" }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const traceId = hex(16);
    const read = await fetch(`${fx.gw.url}/v1/responses/${id}`, {
      headers: { ...bearer(traces.key), traceparent: traceparent(traceId, hex(8)) },
    });
    expect(read.status).toBe(200);
    await read.arrayBuffer();
    const [span] = await traces.spansOf(traceId, 1);
    expect(span?.name).toBe("mindgw stored_responses");
    expect(span?.kind).toBe(SERVER);
    expect(span?.attributes).toMatchObject({
      "mindgw.front_door": "stored_responses",
      "http.response.status_code": 200,
    });
    expect(span?.attributes["gen_ai.operation.name"]).toBeUndefined();
  });

  test("Responses WebSocket turns: each a chat span under the upgrade's trace, or under the turn's own from client_metadata", async () => {
    const [upgradeTrace, upgradeSpan, turnTrace, turnSpan] = [hex(16), hex(8), hex(16), hex(8)];
    // The `ws` package (the OpenAI SDK's socket), for the upgrade's own headers.
    const socket = new WebSocket(`${fx.gw.url.replace(/^http/, "ws")}/v1/responses`, {
      headers: { ...bearer(traces.key), traceparent: traceparent(upgradeTrace, upgradeSpan) },
    });
    const events: { type: string }[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data))));
    await waitFor("the socket open", () => (socket.readyState === WebSocket.OPEN ? true : undefined));
    const turn = async (event: object) => {
      const done = events.filter((e) => e.type === "response.completed").length + 1;
      socket.send(JSON.stringify({ type: "response.create", model: "m-direct", ...event }));
      await waitFor("the turn's end", () =>
        events.filter((e) => e.type === "response.completed").length === done ? true : undefined,
      );
    };
    fx.fake.reset();
    await turn({ input: "under the upgrade's trace" });
    await turn({
      input: "under its own",
      client_metadata: { ws_request_header_traceparent: traceparent(turnTrace, turnSpan) },
    });
    socket.close();
    const upgrade = await traces.spansOf(upgradeTrace, 3);
    expect(upgrade.find((s) => s.name === "mindgw responses_socket")).toMatchObject({
      kind: SERVER,
      parentSpanId: upgradeSpan,
      attributes: { "http.response.status_code": 101 },
    });
    expect(upgrade.find((s) => s.name === "chat m-direct")).toMatchObject({
      kind: SERVER,
      parentSpanId: upgradeSpan,
    });
    const own = await traces.spansOf(turnTrace, 2);
    const server = own.find((s) => s.kind === SERVER);
    expect(server).toMatchObject({ name: "chat m-direct", parentSpanId: turnSpan });
    expect(own.find((s) => s.kind === CLIENT)?.parentSpanId).toBe(server?.spanId);
    expect(fx.fake.requests.map((r) => r.headers.traceparent?.split("-")[1])).toEqual([
      upgradeTrace,
      turnTrace,
    ]);
  });

  test("over OTLP/protobuf, the default protocol, the same tree and attributes arrive", async () => {
    const protobufReceiver = startOtlpReceiver();
    fx.deferTest(() => protobufReceiver.stop());
    const { OTEL_EXPORTER_OTLP_PROTOCOL: _json, ...env } = otelEnv(protobufReceiver, "mindgw-proto-test");
    const proto = await fx.spawn({ env, config: configFor(fx.fake.url) });
    const traceId = hex(16);
    const callerSpan = hex(8);
    fx.fake.reset();
    const res = await fetch(`${proto.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        ...bearer(proto.adminKey ?? ""),
        traceparent: traceparent(traceId, callerSpan),
        tracestate: CALLER_STATE,
        "x-request-id": "trace-proto",
      },
      body: chatBody("m-direct"),
    });
    expect(res.status).toBe(200);
    const spans = await waitFor("the protobuf export", () => {
      const found = protobufReceiver.spans.filter((s) => s.traceId === traceId);
      return found.length >= 2 ? found : undefined;
    });
    expect(protobufReceiver.protobufExports).toBeGreaterThan(0);
    const server = spans.find((s) => s.kind === SERVER);
    const attempt = spans.find((s) => s.kind === CLIENT);
    expect(server).toMatchObject({
      service: "mindgw-proto-test",
      name: "chat m-direct",
      parentSpanId: callerSpan,
    });
    expect(server?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.usage.input_tokens": 2,
      "http.response.status_code": 200,
      "mindgw.request_id": "trace-proto",
      "mindgw.stream": false,
    });
    expect(attempt).toMatchObject({ name: "chat fake-model", parentSpanId: server?.spanId ?? "-" });
    expect(attempt?.attributes).toMatchObject({
      "mindgw.route": "provider:fake-a",
      "mindgw.attempt.retry": 0,
    });
    // The trace state, written by the export thread's own encoder (no library serialiser for it).
    expect([server?.traceState, attempt?.traceState]).toEqual([WRITTEN_STATE, WRITTEN_STATE]);
    expect(traces.sentContext()).toEqual([[traceparent(traceId, attempt?.spanId ?? ""), WRITTEN_STATE]]);
    // An id the gateway made is the trace's, and its attribute is written from the trace id.
    const made = await fetch(`${proto.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(proto.adminKey ?? ""),
      body: chatBody("m-direct"),
    });
    expect(made.status).toBe(200);
    const requestId = made.headers.get("x-request-id") ?? "";
    const [madeServer] = await waitFor("the made id's server span", () => {
      const found = protobufReceiver.spans.filter(
        (s) => s.traceId === requestId.slice(4) && s.kind === SERVER,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(madeServer?.attributes["mindgw.request_id"]).toBe(requestId);
  });
});

describe("traces: message content (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)", () => {
  /** The server span of a call made under a fresh trace, and what the call answered. */
  async function traced(url: string, apiKey: string, path: string, body: object) {
    const traceId = hex(16);
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: {
        ...bearer(apiKey),
        "anthropic-version": "2023-06-01",
        traceparent: traceparent(traceId, hex(8)),
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const answer = await res.text();
    const spans = await traces.spansOf(traceId, 2);
    const server = spans.find((s) => s.kind === SERVER);
    const attribute = (name: string) => {
      const value = server?.attributes[name];
      return typeof value === "string" ? JSON.parse(value) : value;
    };
    return { answer, attribute };
  }

  /** The text of a stream's deltas, read from its wire text as a client would. */
  const streamedText = (wire: string, pick: (event: Record<string, unknown>) => unknown) =>
    wire
      .split("\n")
      .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
      .map((line) => pick(JSON.parse(line.slice(6))))
      .filter((text) => typeof text === "string")
      .join("");

  test("prompts and answers are GenAI messages, whole or streamed, in either dialect, credentials redacted", async () => {
    const captured = await fx.spawn({
      env: {
        ...otelEnv(traces.receiver, "mindgw-content-test"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      },
      config: { ...configFor(fx.fake.url), audit: { bodies: true } },
    });
    const apiKey = captured.adminKey ?? "";
    const secret = "sk-abcdefghijklmnopqrstuvwxyz0123";
    // The fake upstream echoes the prompt: the key is in the answer too, and redacted there too.
    const redacted = (text: string) => text.replaceAll(secret, "[redacted]");
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: `my key is ${secret}, say hi` },
    ];

    const whole = await traced(captured.url, apiKey, "/v1/chat/completions", { model: "m-direct", messages });
    expect(whole.attribute("gen_ai.input.messages")).toEqual([
      { role: "system", parts: [{ type: "text", content: "Be brief." }] },
      { role: "user", parts: [{ type: "text", content: "my key is [redacted], say hi" }] },
    ]);
    const text = (JSON.parse(whole.answer) as { choices: { message: { content: string } }[] }).choices[0]
      ?.message.content;
    expect(text).toContain(secret);
    expect(whole.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: redacted(text ?? "") }], finish_reason: "stop" },
    ]);
    expect(whole.attribute("gen_ai.system_instructions")).toBeUndefined();

    const streamed = await traced(captured.url, apiKey, "/v1/chat/completions", {
      model: "m-direct",
      messages,
      stream: true,
    });
    const deltas = streamedText(streamed.answer, (chunk) => {
      const [choice] = chunk.choices as { delta: { content?: string } }[];
      return choice?.delta.content;
    });
    expect(deltas.length).toBeGreaterThan(0);
    expect(streamed.attribute("gen_ai.input.messages")).toEqual(whole.attribute("gen_ai.input.messages"));
    expect(streamed.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: redacted(deltas) }], finish_reason: "stop" },
    ]);

    // Anthropic's dialect, translated from the OpenAI upstream: `system` apart, the stream's message.
    const anthropic = await traced(captured.url, apiKey, "/v1/messages", {
      model: "m-direct",
      max_tokens: 64,
      system: "Be brief.",
      messages: [{ role: "user", content: "say hi" }],
      stream: true,
    });
    const blocks = streamedText(anthropic.answer, (event) =>
      event.type === "content_block_delta" ? (event.delta as { text?: string }).text : undefined,
    );
    expect(blocks.length).toBeGreaterThan(0);
    expect(anthropic.attribute("gen_ai.system_instructions")).toEqual([
      { type: "text", content: "Be brief." },
    ]);
    expect(anthropic.attribute("gen_ai.input.messages")).toEqual([
      { role: "user", parts: [{ type: "text", content: "say hi" }] },
    ]);
    expect(anthropic.attribute("gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: blocks }], finish_reason: "stop" },
    ]);
  });

  test("asked for without audit.bodies: one warning at start says why nothing is captured", async () => {
    const bare = await fx.spawn({
      env: {
        ...otelEnv(traces.receiver, "mindgw-no-bodies"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
      },
      config: configFor(fx.fake.url),
    });
    const said = (text: string) => bare.stderr.all.split("\n").filter((line) => line.includes(text));
    await waitFor("the start's warning", () => said("captures nothing").length > 0);
    expect(said("captures nothing")).toHaveLength(1);
    expect(said("captures nothing")[0]).toContain(
      " warn OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true captures nothing: spans take prompts and answers from the bodies the audit keeps, and audit.bodies is false; set audit.bodies: true to capture them",
    );
  });
});
