import { describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { tailEvents } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A connection with nothing sent either way for `server.idle_timeout` is closed. An answer is
// often that quiet on its way: a reasoning model thinks before its first token, or between two
// parts of its answer, for longer than the idle bound, and well within the attempt's own
// `first_byte` and `idle` timeouts. Such a silence is the upstream's, bounded by those, never cut
// as if the client had left; and the admin event stream's keep-alives come within the bound.
// The upstream's pauses here are longer than the 1 s idle bound (the stimulus, not a synchronisation);
// Bun's timer ticks every 4 s, so a bound that short closes a quiet socket between 1 and 4 s.
const PAUSE_MS = 2500;
const f = gatewayFixture({
  config: { server: { idle_timeout: "1s" }, routing: { retries: 0, stream_keepalive: "0s" } },
});

const post = (text: string, stream: boolean) =>
  fetch(f.url("/v1/chat/completions"), {
    method: "POST",
    headers: bearer(f.adminKey),
    body: chatBody("fake-model", text, { stream }),
  });

describe("an answer quieter than server.idle_timeout", () => {
  test("a stream whose upstream pauses between its chunks comes whole, audited 200", async () => {
    const response = await post(`one [[fake:chunks=1,chunkDelay=${PAUSE_MS / 2}]]`, true);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("data: [DONE]");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(200);
  });

  test("a stream whose first token is slow, with no keep-alive comments, comes whole", async () => {
    const response = await post(`one two [[fake:delay=${PAUSE_MS}]]`, true);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("data: [DONE]");
  });

  // The gateway raises the socket's bound for streams only: Bun (1.4.5) resets a quiet GET at its
  // idle bound, but not a request whose body it has read (a POST answered after 12 s under
  // `idleTimeout: 5` comes whole). Longer than Bun's 4 s tick, so a change there shows here.
  test("a slow whole answer comes whole", async () => {
    const response = await post(`one two [[fake:delay=${2 * PAUSE_MS}]]`, false);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe("chat.completion");
  });

  test("the admin event stream outlives the quiet: its keep-alives come within the bound", async () => {
    const tail = await tailEvents(f.gw.url, f.adminKey);
    f.deferTest(() => tail.close());
    // Longer than Bun's 4 s tick: a socket that quiet is closed whatever bound under it is set.
    const response = await post(`quiet [[fake:delay=${2 * PAUSE_MS}]]`, false);
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    await response.arrayBuffer();
    // Nothing else happened while the upstream was quiet: the stream's own comments kept it open.
    await waitFor(
      "the request's end on the event stream",
      () =>
        tail.events.some(
          (e) =>
            e.type === "request.finished" &&
            (e as { record?: { requestId?: string } }).record?.requestId === requestId,
        ) || undefined,
    );
  });
});

/**
 * An Anthropic upstream that thinks after its first word: alive, a `ping` every 250 ms (as
 * Anthropic sends them), but with nothing for a chat client, for `quietMs`; then the rest.
 */
function thinkingUpstream(quietMs: number) {
  const frame = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const start = [
    frame("message_start", {
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-up",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 3, output_tokens: 0 },
      },
    }),
    frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    frame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Thinking" } }),
  ];
  const end = [
    frame("content_block_delta", { index: 0, delta: { type: "text_delta", text: " done" } }),
    frame("content_block_stop", { index: 0 }),
    frame("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }),
    frame("message_stop", {}),
  ];
  const encoder = new TextEncoder();
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(start.join("")));
          for (let quiet = 0; quiet < quietMs; quiet += 250) {
            // The stimulus: the upstream's own pace of pings, not a synchronisation.
            await Bun.sleep(250);
            controller.enqueue(encoder.encode(frame("ping", {})));
          }
          controller.enqueue(encoder.encode(end.join("")));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
}

describe("a stream whose client hears nothing for longer than its socket may stay quiet", () => {
  test("is kept alive by comments between its events (routing.stream_keepalive), and comes whole", async () => {
    // The upstream is alive (its pings hold the 4 s idle bound off) but a chat client is sent
    // nothing for 10 s: longer than the stream's socket may stay quiet (4 s of attempt timeouts
    // plus the 1 s idle_timeout: 5 s, cut on Bun's 4 s tick after, at 8 s). Bun counts a bound
    // in ticks and a write starts it again: a bound of one tick (4 s or less) expires at the next
    // tick whatever is written, so the bound here is two.
    const upstream = thinkingUpstream(10_000);
    f.deferTest(() => upstream.stop(true));
    const config = {
      ...fakeRoutesConfig(f.fake.url, []),
      server: { idle_timeout: "1s" },
      providers: [{ name: "thinking", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}` }],
      models: [{ name: "thinker", routes: [{ provider: "thinking", model: "claude-up" }] }],
      routing: { retries: 0, timeouts: { first_byte: "4s", idle: "4s" }, stream_keepalive: "500ms" },
    };
    const gw = await f.spawn({ config });
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(gw.adminKey ?? ""),
      body: chatBody("thinker", "think", { stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("Thinking");
    expect(text).toContain('"content":" done"');
    expect(text).toEndWith("data: [DONE]\n\n");
    expect(text).toMatch(/"Thinking"[^\n]*\n\n(: keep-alive\n\n)+data: /);
    expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).status).toBe(200);
  }, 60_000);
});
