import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { wordsIn } from "../fake-cloud/count-wire.ts";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { auditRow } from "./harness/admin-api.ts";
import { CLAUDE_CODE_BETAS, cloudGateway } from "./harness/cloud-gateway.ts";
import { anthropicFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// Claude on Vertex AI and on Bedrock (publisher: anthropic), Anthropic's own body through rawPredict
// and InvokeModel (harness/cloud-gateway.ts): betas, streams that end early or fail, counts, shadows.

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});
const { callsTo } = clouds;

describe("Claude on Vertex AI (publisher: anthropic): the Messages API through rawPredict", () => {
  const CLAUDE = "/v1/projects/project-1/locations/us-east5/publishers/anthropic/models";
  const lastTo = (suffix: string) => callsTo(new RegExp(`${suffix}$`)).at(-1);

  test("the Anthropic SDK: rawPredict, the model in the URL, anthropic_version in the body, anthropic-beta passed on", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-vertex",
        max_tokens: 100,
        system: "be brief",
        messages: [{ role: "user", content: "hello vertex" }],
        betas: ["interleaved-thinking-2025-05-14"],
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello vertex" }]);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    const call = lastTo(":rawPredict");
    expect(call?.path).toBe(`${CLAUDE}/claude-sonnet-4-5%4020250929:rawPredict`);
    expect(call?.headers.authorization).toMatch(/^Bearer google-token-/);
    expect(call?.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    const sent = JSON.parse(call?.body ?? "{}");
    expect(sent.anthropic_version).toBe("vertex-2023-10-16");
    expect(sent.model).toBeUndefined();
    expect(sent.system).toBe("be brief");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      route: "provider:vx-claude",
      upstreamModel: "claude-sonnet-4-5@20250929",
    });
    expect(row.inputTokens).toBe(data.usage.input_tokens);
  });

  test("Claude Code's betas: those Vertex takes go in the header (tool search under its name), the others named, never its 400 'Unexpected value(s)'", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-vertex",
        max_tokens: 100,
        messages: [{ role: "user", content: "hello from claude code" }],
        betas: CLAUDE_CODE_BETAS,
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello from claude code" }]);
    expect(lastTo(":rawPredict")?.headers["anthropic-beta"]).toBe(
      "interleaved-thinking-2025-05-14,context-management-2025-06-27,tool-search-tool-2025-10-19",
    );
    const named =
      "anthropic-beta.claude-code-20250219, anthropic-beta.per-turn-control-2026-07-01, anthropic-beta.mid-conversation-tool-changes-2026-07-01, anthropic-beta.thinking-token-count-2026-05-13, anthropic-beta.effort-2025-11-24";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
  });

  test("a stream through streamRawPredict, Anthropic's events relayed", async () => {
    const stream = anthropic.messages.stream({
      model: "claude-vertex",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream from vertex" }],
    });
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: "text", text: "echo: stream from vertex" }]);
    const call = lastTo(":streamRawPredict");
    expect(call?.path).toBe(`${CLAUDE}/claude-sonnet-4-5%4020250929:streamRawPredict`);
    expect(JSON.parse(call?.body ?? "{}")).toMatchObject({
      stream: true,
      anthropic_version: "vertex-2023-10-16",
    });
  });

  test("count_tokens at the count-tokens model, the model in the body", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "claude-vertex",
      messages: [{ role: "user", content: "count these words" }],
    });
    expect(counted.input_tokens).toBe(3);
    const call = lastTo("count-tokens:rawPredict");
    expect(call?.path).toBe(`${CLAUDE}/count-tokens:rawPredict`);
    expect(JSON.parse(call?.body ?? "{}")).toMatchObject({
      model: "claude-sonnet-4-5@20250929",
      anthropic_version: "vertex-2023-10-16",
    });
  });

  test("a shadow copy to it is sent and read as a call is (not handed to the shadow thread)", async () => {
    const { response } = await anthropic.messages
      .create({
        model: "claude-vertex-shadowed",
        max_tokens: 50,
        messages: [{ role: "user", content: "shadow me" }],
      })
      .withResponse();
    const id = response.headers.get("x-request-id") ?? "";
    const pair = await waitFor("the shadow pair", async () => {
      const page = (await (
        await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
          headers: { authorization: `Bearer ${gw.adminKey}` },
        })
      ).json()) as { records: { requestId: string; shadow: { status: number; upstreamModel: string } }[] };
      return page.records.find((record) => record.requestId === id);
    });
    expect(pair.shadow).toMatchObject({ status: 200, upstreamModel: "claude-haiku-4-5@20251001" });
    expect(callsTo(/claude-haiku-4-5%4020251001:rawPredict$/).length).toBeGreaterThan(0);
  });

  test("the OpenAI SDK reaches it through the chat → messages translation; a quota refusal is a 429", async () => {
    const reply = await openai.chat.completions.create({
      model: "claude-vertex",
      messages: [{ role: "user", content: "from openai" }],
    });
    expect(reply.choices[0]?.message.content).toBe("echo: from openai");
    cloud.failNext({ status: 429, type: "RESOURCE_EXHAUSTED", message: "Quota exceeded", retryAfter: "2" });
    const error = await anthropicFailure(
      anthropic.messages.create({
        model: "claude-vertex",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.message).toContain("Quota exceeded");
  });
});

describe("Claude streams on Bedrock and Vertex that end early, to Anthropic callers (CLIENTS.md: when a stream is whole)", () => {
  const ask = () => ({
    max_tokens: 100,
    messages: [{ role: "user" as const, content: "a stream that ends early" }],
  });

  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: message_delta then the body's end is a whole answer, message_stop added",
    async (model) => {
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "message_delta" });
      const events: string[] = [];
      const stream = anthropic.messages.stream({ model, ...ask() });
      stream.on("streamEvent", (event) => events.push(event.type));
      const message = await stream.finalMessage();
      expect(message.content).toMatchObject([{ type: "text", text: "echo: a stream that ends early" }]);
      expect(message.stop_reason).toBe("end_turn");
      expect(events.at(-1)).toBe("message_stop");
      const row = await auditRow(gw, stream.request_id ?? "");
      expect(row).toMatchObject({ status: 200 });
    },
  );

  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: cut after a content_block_delta is a failure: an error event, and its class in the audit row",
    async (model) => {
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "content_block_delta" });
      const response = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, ...ask() }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(text).toContain("event: content_block_delta");
      expect(text).toContain("event: error");
      expect(text).toContain("ended the stream without its end marker");
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect(row).toMatchObject({ status: 502, errorClass: "upstream_error" });
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "content_block_delta" });
      const broken = await anthropicFailure(anthropic.messages.stream({ model, ...ask() }).finalMessage());
      expect(broken).toBeInstanceOf(Anthropic.APIError);
    },
  );
});

describe("Claude streams on Bedrock and Vertex that fail after the answer began, to Anthropic callers", () => {
  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: Anthropic's error event is relayed, and the row and its attempt both say it failed (the row Anthropic's 529 its caller was told, the attempt 502), read whole or hung up on",
    async (model) => {
      const overloaded = { status: 200, type: "overloaded_error", message: "Overloaded", errorEvent: true };
      const ask = { max_tokens: 100, messages: [{ role: "user" as const, content: "a stream that fails" }] };
      cloud.failNext({ ...overloaded, endAfter: "content_block_delta" });
      const response = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, ...ask }),
      });
      const text = await response.text();
      expect(text).toContain("event: content_block_delta");
      expect(text.match(/event: error/g)).toHaveLength(1);
      expect(text).toContain("overloaded_error");
      // The attempt's own record (its audit entry, its span) says what the row says: these streams
      // are relayed as decoded events (routing/event-chunks.ts), and agree with the byte relay.
      const failed = [["failed", 502, "upstream_error"]];
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect([row.status, row.attempts?.map((a) => [a.outcome, a.status, a.errorClass])]).toEqual([
        529,
        failed,
      ]);
      // The SDK stops at the error event and hangs up: the same record.
      cloud.failNext({ ...overloaded, endAfter: "content_block_delta" });
      const stream = anthropic.messages.stream({ model, ...ask });
      const broken = await anthropicFailure(stream.finalMessage());
      expect(broken).toBeInstanceOf(Anthropic.APIError);
      const hungUp = await auditRow(gw, stream.request_id ?? "");
      expect([hungUp.status, hungUp.attempts?.map((a) => [a.outcome, a.status, a.errorClass])]).toEqual([
        529,
        failed,
      ]);
    },
  );
});

describe("Claude on Bedrock (publisher: anthropic): Anthropic's body through InvokeModel", () => {
  const MODEL_PATH = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0";
  const lastTo = (suffix: string) => callsTo(new RegExp(`${suffix}$`)).at(-1);

  test("the Anthropic SDK: invoke, signed; anthropic_version and the betas in the body; cache_control kept", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-on-bedrock",
        max_tokens: 100,
        system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: "hello bedrock" }],
        betas: ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"],
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello bedrock" }]);
    const call = lastTo("/invoke");
    expect(call?.path).toBe(`${MODEL_PATH}/invoke`);
    expect(call?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKESTATIC\//);
    const sent = JSON.parse(call?.body ?? "{}");
    expect(sent.anthropic_version).toBe("bedrock-2023-05-31");
    expect(sent.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"]);
    expect(sent.model).toBeUndefined();
    expect(sent.stream).toBeUndefined();
    expect(sent.system).toEqual([{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }]);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      route: "provider:br-claude",
      inputTokens: data.usage.input_tokens,
    });
  });

  test("Claude Code's betas: those Bedrock takes go in anthropic_beta (tool search under its name), the others named, never its 400 'invalid beta flag'", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-on-bedrock",
        max_tokens: 100,
        messages: [{ role: "user", content: "hello from claude code" }],
        betas: CLAUDE_CODE_BETAS,
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello from claude code" }]);
    expect(JSON.parse(lastTo("/invoke")?.body ?? "{}").anthropic_beta).toEqual([
      "interleaved-thinking-2025-05-14",
      "context-management-2025-06-27",
      "tool-search-tool-2025-10-19",
      "effort-2025-11-24",
    ]);
    const named =
      "anthropic-beta.claude-code-20250219, anthropic-beta.per-turn-control-2026-07-01, anthropic-beta.mid-conversation-tool-changes-2026-07-01, anthropic-beta.thinking-token-count-2026-05-13";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
  });

  test("a stream through invoke-with-response-stream: each chunk's event relayed as Anthropic's own", async () => {
    const events: string[] = [];
    const stream = anthropic.messages.stream({
      model: "claude-on-bedrock",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream from bedrock" }],
    });
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: "text", text: "echo: stream from bedrock" }]);
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(lastTo("/invoke-with-response-stream")?.path).toBe(`${MODEL_PATH}/invoke-with-response-stream`);
  });

  test("count_tokens through CountTokens as the InvokeModel body it would send", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "claude-on-bedrock",
      messages: [{ role: "user", content: "count these words" }],
    });
    const call = lastTo("/count-tokens");
    expect(call?.path).toBe(`${MODEL_PATH}/count-tokens`);
    const counted_body = JSON.parse(JSON.parse(call?.body ?? "{}").input.invokeModel.body);
    expect(counted_body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(counted.input_tokens).toBe(wordsIn(counted_body));
  });

  test("Bedrock's refusals in Anthropic's dialect: a ValidationException's 400, an exception frame mid-stream", async () => {
    cloud.failNext({ status: 400, type: "ValidationException", message: "messages.0: bad block" });
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "claude-on-bedrock",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(refused.message).toContain("bad block");
    cloud.failNext({
      status: 424,
      type: "modelStreamErrorException",
      message: "model crashed",
      midStream: true,
    });
    const stream = anthropic.messages.stream({
      model: "claude-on-bedrock",
      max_tokens: 100,
      messages: [{ role: "user", content: "a stream that breaks" }],
    });
    const broken = await anthropicFailure(stream.finalMessage());
    expect(broken).toBeInstanceOf(Error);
    expect(broken.message).toContain("model crashed");
    expect(broken.error).toMatchObject({
      error: { type: "api_error" },
    });
  });

  test("the OpenAI SDK reaches it through the chat → messages translation", async () => {
    const reply = await openai.chat.completions.create({
      model: "claude-on-bedrock",
      messages: [{ role: "user", content: "from openai to bedrock" }],
    });
    expect(reply.choices[0]?.message.content).toBe("echo: from openai to bedrock");
  });
});
