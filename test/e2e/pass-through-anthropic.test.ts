import { describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { ANTHROPIC_KEY, passThroughFixture, SSE } from "./harness/pass-through-fixture.ts";

// Same dialect in and out: the request goes upstream as the client sent it (only `model`
// spliced), with the dialect's headers and the query string; the answer comes back byte for
// byte — bodies, streams and error bodies alike. The upstream here answers canned bytes with
// unusual spacing and unknown fields, so any re-encoding on the way would show
// (harness/pass-through-fixture.ts). Here the Anthropic dialect, split from pass-through.test.ts.

const pt = passThroughFixture();
const { sentHeaders, anthropic, lastSent, lastUpstream } = pt;

describe("Anthropic dialect to an Anthropic upstream", () => {
  const MESSAGE =
    '{"id":"msg_1","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"hi"}],' +
    '"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":2,"cache_read_input_tokens":1},"x_vendor":true}';

  test("anthropic-beta and the client's anthropic-version reach the upstream; beta-only fields untouched", async () => {
    pt.anthropicUp.queue({ headers: { "content-type": "application/json" }, body: MESSAGE });
    const response = await anthropic()
      .messages.create(
        {
          model: "claude",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
          ...({ context_management: { edits: [{ type: "clear_tool_uses_20250919" }] } } as object),
        },
        { headers: { "anthropic-beta": "context-management-2025-06-27" } },
      )
      .asResponse();
    expect(await response.text()).toBe(MESSAGE);
    const upstream = lastUpstream(pt.anthropicUp);
    expect(upstream.path).toBe("/v1/messages");
    expect(upstream.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    // The SDK's own version wins over the provider's configured default.
    const version = sentHeaders.at(-1)?.get("anthropic-version");
    expect(version).toBeTruthy();
    expect(upstream.headers["anthropic-version"]).toBe(version ?? "");
    expect(upstream.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(upstream.text).toBe(lastSent().replace('"model":"claude"', '"model":"claude-up"'));
    const row = await auditRow(pt.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 10, outputTokens: 2 });
  });

  test("a stream comes back byte for byte, its usage counted", async () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"usage":{"input_tokens":30,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: ping\ndata: {"type": "ping"}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hey"}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\nevent: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    pt.anthropicUp.queue({ headers: SSE, body: events });
    const stream = anthropic().messages.stream({
      model: "claude",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toMatchObject([{ type: "text", text: "hey" }]);
    const id = stream.request_id ?? "";
    const row = await auditRow(pt.gw, id);
    expect(row).toMatchObject({ status: 200, inputTokens: 30, outputTokens: 5 });
    pt.anthropicUp.queue({ headers: SSE, body: events });
    const raw = await fetch(`${pt.gw.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "x-api-key": pt.gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude",
        max_tokens: 8,
        stream: true,
        messages: [{ role: "user", content: "x" }],
      }),
    });
    expect(await raw.text()).toBe(events.join(""));
    expect(lastUpstream(pt.anthropicUp).query).toBe("?beta=true");
    // No version from the client: the provider's configured one.
    expect(lastUpstream(pt.anthropicUp).headers["anthropic-version"]).toBe("2023-06-01");
  });

  test("count_tokens passes through; an upstream 4xx or 5xx comes back as sent (its request_id the gateway's)", async () => {
    pt.anthropicUp.queue({ headers: { "content-type": "application/json" }, body: '{"input_tokens": 42}' });
    const counted = await anthropic().messages.countTokens({
      model: "claude",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(counted.input_tokens).toBe(42);
    expect(lastUpstream(pt.anthropicUp).path).toBe("/v1/messages/count_tokens");
    const overloaded =
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_up"}';
    pt.anthropicUp.queue({ status: 529, headers: { "content-type": "application/json" }, body: overloaded });
    const response = await fetch(`${pt.gw.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": pt.gw.adminKey ?? "",
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
    // A server fault with no route left: the upstream's status and body as sent, but for the
    // upstream's id of the gateway's call: the caller's is the gateway's `request-id`, in the body
    // too, as Anthropic's own bodies name theirs.
    expect(response.status).toBe(529);
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-request-id"));
    expect(await response.text()).toBe(
      `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"${response.headers.get("request-id")}"}`,
    );
    const invalid =
      '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}';
    pt.anthropicUp.queue({ status: 400, headers: { "content-type": "application/json" }, body: invalid });
    const refused = await fetch(`${pt.gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": pt.gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe(invalid);
  });
});
