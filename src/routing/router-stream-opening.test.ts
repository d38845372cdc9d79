import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { readUpstreamReply } from "../providers/http/read-reply.ts";
import type { ProviderReply } from "../providers/provider.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { waitFor } from "../testing/wait-for.ts";
import { chatRequest, drain, fakeProvider, modelOver, routerFor, type Script } from "./router-test-kit.ts";

// An upstream that answers 200 and then fails before any of the answer — Anthropic's
// overloaded_error right after message_start (anthropics/anthropic-sdk-python#688) — has sent the
// client nothing it could use: the router fails it over to the model's next route, relayed as the
// caller's own dialect or translated. Once the answer began, the error is the stream's end.

const OPENING =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_a","type":"message","role":"assistant","model":"ca","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}\n\nevent: ping\ndata: {"type": "ping"}\n\n';
const OVERLOADED =
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
const TEXT =
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"from b"}}\n\n';
const END =
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\nevent: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';

/** An Anthropic route answering a stream with `body`: as its bytes, or read as the provider reads them. */
const anthropic = (name: string, body: string) => {
  const script: Script = (call) => {
    const response = new Response(body, { headers: { "content-type": "text/event-stream" } });
    if (call.native) return Promise.resolve({ kind: "http", response } satisfies ProviderReply);
    return readUpstreamReply(name, response, call);
  };
  return { ...fakeProvider(name, script), dialect: "anthropic" as const, passThrough: true };
};

const config = modelOver(
  [
    { provider: "a", type: "anthropic", model: "ca" },
    { provider: "b", type: "anthropic", model: "cb" },
  ],
  { retries: 0 },
);

/** What telemetry hears of each attempt: its verdict, then its close. */
function recorder() {
  const heard: string[] = [];
  const telemetry: DispatchTelemetry = {
    attempt: (info) => ({
      traceparent: undefined,
      settled: (error?: GatewayError) => heard.push(`${info.route} settled ${error?.code ?? "ok"}`),
      closed: (error?: GatewayError) => heard.push(`${info.route} closed ${error?.code ?? "ok"}`),
    }),
  };
  return { heard, telemetry };
}

/** A Messages caller's stream request, with its bytes: relayed as sent to an Anthropic route. */
function messagesRequest(telemetry: DispatchTelemetry) {
  const body = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }], stream: true };
  return chatRequest("m", { operation: "messages", body, stream: true, telemetry });
}

describe("router: an upstream that fails right after the answer's opening", () => {
  test("a Messages caller's stream relayed as bytes goes to the next route: the client gets route b's answer alone", async () => {
    const a = anthropic("a", `${OPENING}${OVERLOADED}`);
    const b = anthropic("b", `${OPENING}${TEXT}${END}`);
    const { router } = routerFor(config, [a, b]);
    const { heard, telemetry } = recorder();
    const dispatched = await router(messagesRequest(telemetry));
    expect(dispatched.route).toBe("provider:b");
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const data = (await drain(dispatched.reply.chunks)).join("\n");
    expect(data).toContain("from b");
    expect(data).not.toContain("overloaded_error");
    await waitFor("both attempts closed", () => heard.length === 4);
    expect(heard).toEqual([
      "provider:a settled upstream_error",
      "provider:a closed upstream_error",
      "provider:b settled ok",
      "provider:b closed ok",
    ]);
  });

  test("a chat caller's stream translated from it goes to the next route: one role chunk, route b's", async () => {
    const a = anthropic("a", `${OPENING}${OVERLOADED}`);
    const b = anthropic("b", `${OPENING}${TEXT}${END}`);
    const { router } = routerFor(config, [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    expect(dispatched.route).toBe("provider:b");
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const data = await drain(dispatched.reply.chunks);
    expect(data.filter((chunk) => chunk.includes('"role":"assistant"'))).toHaveLength(1);
    expect(data.join("\n")).toContain("from b");
    expect(data.join("\n")).not.toContain("Overloaded");
  });

  test("once the answer began the error is the stream's end, relayed; the attempt is audited failed, not ok", async () => {
    const a = anthropic("a", `${OPENING}${TEXT}${OVERLOADED}`);
    const b = anthropic("b", `${OPENING}${TEXT}${END}`);
    const { router } = routerFor(config, [a, b]);
    const { heard, telemetry } = recorder();
    const dispatched = await router(messagesRequest(telemetry));
    expect(dispatched.route).toBe("provider:a");
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    expect((await drain(dispatched.reply.chunks)).join("\n")).toContain("overloaded_error");
    expect(b.calls).toHaveLength(0);
    await waitFor("the attempt closed", () => heard.length === 2);
    expect(heard).toEqual(["provider:a settled ok", "provider:a closed upstream_error"]);
  });
});
