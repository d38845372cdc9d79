import { expect, test } from "bun:test";
import type { SseEvent } from "../core/sse.ts";
import { chatRequest, drain, fakeProvider, routerFor, streamReply, twoRoutes } from "./router-test-kit.ts";

// A provider that yields decoded events (Claude on Bedrock's InvokeModelWithResponseStream, whose
// `chunk` may carry Anthropic's own `{"type":"error",…}` before any answer; Vertex AI's Claude)
// whose stream says its failure before the answer's first event: nothing has reached the client,
// so the failure is the router's to retry or fail over, as the byte relay's is (byte-relay.ts).
test("an error event before the answer's first event is the attempt's failure, failed over, never the answer", async () => {
  const overloaded: SseEvent[] = [
    { event: "message_start", data: '{"type":"message_start","message":{"id":"msg_1","content":[]}}' },
    { event: "error", data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' },
  ];
  async function* failing() {
    yield* overloaded;
  }
  const a = fakeProvider("a", () => Promise.resolve({ kind: "stream", events: failing() }));
  const b = fakeProvider("b", () => Promise.resolve(streamReply(2)));
  const { router } = routerFor(twoRoutes(), [a, b]);
  const dispatched = await router(chatRequest("m", { stream: true }));
  if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
  const data = await drain(dispatched.reply.chunks);
  expect(data.some((d) => d.includes("overloaded_error"))).toBe(false);
  expect(data.at(-1)).toBe("[DONE]");
  // An overload: retried on its route, then failed over.
  expect(a.calls.length).toBeGreaterThan(0);
  expect(b.calls).toHaveLength(1);
});
