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
// The idle bound is the least there is, 5 s; Bun counts it in 4 s ticks, so it closes a quiet
// socket 4 to 8 s after its last byte. The upstream's pauses here are longer than that (the
// stimulus, not a synchronisation): a socket left under the bound would be closed in them.
const IDLE_TIMEOUT = "5s";
const PAUSE_MS = 9000;
const f = gatewayFixture({
  fakeRoutes: false,
  config: (fakeUrl, { own }) => {
    const pausing = own(thinkingUpstream(PAUSE_MS, { pings: false }));
    return {
      providers: [
        { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
        { name: "pausing", type: "anthropic", base_url: `http://127.0.0.1:${pausing.port}` },
      ],
      models: [
        { name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] },
        { name: "pauser", routes: [{ provider: "pausing", model: "claude-up" }] },
      ],
      server: { idle_timeout: IDLE_TIMEOUT },
      routing: { retries: 0, stream_keepalive: "0s" },
    };
  },
});

const post = (text: string, stream: boolean, model = "fake-model") =>
  fetch(f.url("/v1/chat/completions"), {
    method: "POST",
    headers: bearer(f.adminKey),
    body: chatBody(model, text, { stream }),
  });

describe("an answer quieter than server.idle_timeout", () => {
  test("a stream whose upstream pauses between its chunks comes whole, audited 200", async () => {
    const response = await post("think", true, "pauser");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"content":" done"');
    expect(text).toEndWith("data: [DONE]\n\n");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(200);
  });

  test("a stream whose first token is slow, with no keep-alive comments, comes whole", async () => {
    const response = await post(`one two [[fake:delay=${PAUSE_MS}]]`, true);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("data: [DONE]");
  });

  // The gateway raises the socket's bound for streams only: Bun (1.4.5) resets a quiet GET at its
  // idle bound, but not a request whose body it has read (a POST answered after 12 s under
  // `idleTimeout: 5` comes whole), so a change there shows here.
  test("a slow whole answer comes whole", async () => {
    const response = await post(`one two [[fake:delay=${PAUSE_MS}]]`, false);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe("chat.completion");
  });

  test("the admin event stream outlives the quiet: its keep-alives come within the bound", async () => {
    const tail = await tailEvents(f.gw.url, f.adminKey);
    f.deferTest(() => tail.close());
    const response = await post(`quiet [[fake:delay=${PAUSE_MS}]]`, false);
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
 * An Anthropic upstream that thinks after its first word, with nothing for a chat client for
 * `quietMs`, then the rest: alive meanwhile, a `ping` every 250 ms (as Anthropic sends them), or
 * (`pings: false`) silent.
 */
function thinkingUpstream(quietMs: number, { pings = true } = {}) {
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
          // The stimulus: the upstream's silence, not a synchronisation.
          if (!pings) await Bun.sleep(quietMs);
          for (let quiet = 0; pings && quiet < quietMs; quiet += 250) {
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
    // The upstream is alive (its pings hold the 2 s idle bound off) but a chat client is sent
    // nothing for 10 s: longer than the stream's socket may stay quiet (2 s of attempt timeouts
    // plus the 5 s idle_timeout: 7 s, two of Bun's 4 s ticks, so cut 4 to 8 s after its last byte).
    const upstream = thinkingUpstream(10_000);
    f.deferTest(() => upstream.stop(true));
    const config = {
      ...fakeRoutesConfig(f.fake.url, []),
      server: { idle_timeout: IDLE_TIMEOUT },
      providers: [{ name: "thinking", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}` }],
      models: [{ name: "thinker", routes: [{ provider: "thinking", model: "claude-up" }] }],
      routing: { retries: 0, timeouts: { first_byte: "2s", idle: "2s" }, stream_keepalive: "500ms" },
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
