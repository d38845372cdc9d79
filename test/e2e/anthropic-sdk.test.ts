import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import { z } from "zod";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import type { FakeRequest, FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { anthropicFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The official Anthropic SDK against the compiled gateway, served by an OpenAI-shaped route:
// every request is translated to chat completions on the way up and back on the way down.

let fake: FakeUpstream;
let gw: GatewayProcess;
let client: Anthropic;

const WEATHER_TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: {
    type: "object" as const,
    properties: { city: { type: "string" }, days: { type: "integer" } },
    required: ["city"],
  },
};

const CLOSED_WEATHER = {
  ...WEATHER_TOOL.input_schema,
  required: ["city", "days"],
  additionalProperties: false,
};

/** The chat request the upstream saw for the n-th call from now (1-based count of all calls). */
async function upstreamCall(before: number): Promise<FakeRequest & { body: Record<string, unknown> }> {
  const seen = await fake.waitForRequest(before + 1, 10_000);
  return seen as FakeRequest & { body: Record<string, unknown> };
}

const post = (path: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify(body),
  });

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
    models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
    routing: { retries: 0 },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
  client = new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey, maxRetries: 0 });
});

describe("Anthropic SDK → OpenAI-shaped route, non-stream", () => {
  test("system prompt, text answer, stop reason and usage; the upstream gets chat completions", async () => {
    const before = fake.requests.length;
    const message = await client.messages.create({
      model: "m1",
      max_tokens: 100,
      system: "You are terse.",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.model).toBe("m1");
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: hello there" });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    // The SDK reads the `request-id` header; it is the gateway's request id.
    expect(message._request_id).toMatch(/^req_/);

    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/chat/completions");
    expect(up.body.model).toBe("up-m1");
    expect(up.body.max_completion_tokens).toBe(100);
    expect(up.body.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "hello there" },
    ]);
  });

  test("multi-turn with content blocks keeps every turn in order", async () => {
    const before = fake.requests.length;
    const message = await client.messages.create({
      model: "m1",
      max_tokens: 100,
      system: [
        { type: "text", text: "Rule one." },
        { type: "text", text: "Rule two." },
      ],
      messages: [
        { role: "user", content: [{ type: "text", text: "first question" }] },
        { role: "assistant", content: "first answer" },
        { role: "user", content: "second question" },
      ],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: second question" });
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual([
      { role: "system", content: "Rule one.\n\nRule two." },
      { role: "user", content: "first question" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "second question" },
    ]);
  });

  test("stop_sequences become `stop`; a max_tokens cut says max_tokens", async () => {
    const before = fake.requests.length;
    const message = await client.messages.create({
      model: "m1",
      max_tokens: 2,
      stop_sequences: ["END", "STOP"],
      messages: [{ role: "user", content: "one two three four five" }],
    });
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: one" });
    const up = await upstreamCall(before);
    expect(up.body.stop).toEqual(["END", "STOP"]);
    expect(up.body.max_completion_tokens).toBe(2);
  });

  test("a tool call comes back as a tool_use block with parsed input", async () => {
    const before = fake.requests.length;
    const message = await client.messages.create({
      model: "m1",
      max_tokens: 200,
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: "weather in Paris?" }],
    });
    expect(message.stop_reason).toBe("tool_use");
    const use = message.content.find((block) => block.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather", input: FAKE_TOOL_ARGUMENTS });
    const up = await upstreamCall(before);
    expect(up.body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: WEATHER_TOOL.input_schema,
        },
      },
    ]);
  });
});

describe("Anthropic SDK → OpenAI-shaped route, structured output", () => {
  // Optional fields, which Anthropic enforces as optional; OpenAI's strict mode refuses a schema
  // whose `required` leaves one out (the fake refuses it as OpenAI does).
  const Person = z.object({ name: z.string(), nick: z.string().optional() });

  test("messages.parse with an optional field: parsed, the format sent without strict", async () => {
    const before = fake.requests.length;
    const message = await client.messages.parse({
      model: "m1",
      max_tokens: 200,
      messages: [{ role: "user", content: "who?" }],
      output_config: { format: zodOutputFormat(Person) },
    });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.parsed_output).toMatchObject({ name: expect.stringContaining("echo: who?") });
    const up = await upstreamCall(before);
    expect(up.body.response_format).toMatchObject({ type: "json_schema", json_schema: { strict: false } });
  });

  test("a strict tool with an optional parameter: called, sent without strict", async () => {
    const before = fake.requests.length;
    const { data: message, response } = await client.messages
      .create({
        model: "m1",
        max_tokens: 200,
        tools: [
          {
            ...WEATHER_TOOL,
            input_schema: { ...WEATHER_TOOL.input_schema, additionalProperties: false },
            strict: true,
          },
        ],
        tool_choice: { type: "tool", name: "get_weather" },
        messages: [{ role: "user", content: "weather in Paris?" }],
      })
      .withResponse();
    expect(message.stop_reason).toBe("tool_use");
    // Followed, not enforced: named, as a translation names what it cannot carry.
    expect(response.headers.get("x-mindgw-dropped")).toBe("tools.strict");
    const up = await upstreamCall(before);
    expect((up.body.tools as { function: { strict?: boolean } }[])[0]?.function.strict).toBe(false);
  });
});

describe("Anthropic SDK → OpenAI-shaped route, streaming", () => {
  test("the exact Messages event sequence, and the final message", async () => {
    const stream = client.messages.stream({
      model: "m1",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream me please" }],
    });
    const types: string[] = [];
    stream.on("streamEvent", (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "echo: stream me please" });
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe("message_start");
    expect(types[1]).toBe("content_block_start");
    expect(types.filter((t) => t === "content_block_delta").length).toBeGreaterThan(1);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
  });

  test("on the wire: event names match their data types, a ping comes early", async () => {
    const response = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 50, stream: true, messages: [{ role: "user", content: "wire check" }] },
      { "x-api-key": gw.adminKey ?? "" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    const frames = text
      .split("\n\n")
      .filter((frame) => frame.trim() !== "")
      .map((frame) => ({
        event: /^event: (.*)$/m.exec(frame)?.[1],
        data: JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null") as { type: string },
      }));
    for (const frame of frames) expect(frame.event).toBe(frame.data.type);
    const names = frames.map((frame) => frame.event);
    expect(names[0]).toBe("message_start");
    expect(names).toContain("ping");
    expect(names.at(-1)).toBe("message_stop");
  });

  test("tools end to end: streamed tool_use input, then tool_result reaching the upstream as a tool message", async () => {
    const first = await client.messages
      .stream({
        model: "m1",
        max_tokens: 200,
        tools: [WEATHER_TOOL],
        messages: [{ role: "user", content: "weather in Paris for 3 days?" }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((block) => block.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use block");
    expect(use.name).toBe("get_weather");
    expect(use.input).toEqual(FAKE_TOOL_ARGUMENTS);

    const before = fake.requests.length;
    const second = await client.messages
      .stream({
        model: "m1",
        max_tokens: 200,
        tools: [WEATHER_TOOL],
        tool_choice: { type: "none" },
        messages: [
          { role: "user", content: "weather in Paris for 3 days?" },
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny, 21C" }],
          },
        ],
      })
      .finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    const up = await upstreamCall(before);
    expect(up.body.tool_choice).toBe("none");
    const messages = up.body.messages as Record<string, unknown>[];
    expect(messages[1]).toMatchObject({
      role: "assistant",
      tool_calls: [
        {
          id: use.id,
          type: "function",
          function: { name: "get_weather", arguments: JSON.stringify(FAKE_TOOL_ARGUMENTS) },
        },
      ],
    });
    expect(messages[2]).toEqual({ role: "tool", tool_call_id: use.id, content: "sunny, 21C" });
  });
});

describe("Anthropic SDK → OpenAI-shaped route, what chat cannot carry", () => {
  const PNG = { type: "base64" as const, media_type: "image/png" as const, data: "iVBORw0KGgo=" };

  test("a tool's screenshot reaches the upstream after the tool message; what is left out is named", async () => {
    const before = fake.requests.length;
    const { response } = await client.messages
      .create({
        model: "m1",
        max_tokens: 20,
        // A schema OpenAI's strict mode takes too (every property required, the object closed).
        tools: [{ ...WEATHER_TOOL, input_schema: CLOSED_WEATHER, strict: true }],
        messages: [
          { role: "user", content: "shoot" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }],
          },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: [
                  { type: "text", text: "here" },
                  { type: "image", source: PNG },
                ],
              },
              { type: "image", source: { type: "file", file_id: "file_abc" } },
              { type: "text", text: "what is it?" },
            ],
          },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-mindgw-dropped")).toBe("content.image.file");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row.dropped).toBe("content.image.file");
    const up = await upstreamCall(before);
    expect((up.body.tools as { function: { strict?: boolean } }[])[0]?.function.strict).toBe(true);
    expect((up.body.messages as unknown[]).slice(2)).toEqual([
      { role: "tool", tool_call_id: "toolu_1", content: "here" },
      {
        role: "user",
        content: [
          { type: "text", text: "Images from the result of tool call toolu_1:" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "text", text: "what is it?" },
        ],
      },
    ]);
  });

  test("a base64 image without its data: 400 invalid_request_error naming the field, nothing sent", async () => {
    const before = fake.requests.length;
    const error = await anthropicFailure(
      client.messages.create({
        model: "m1",
        max_tokens: 20,
        // Not a shape the SDK's types allow: what a client that built it by hand might send.
        messages: [
          { role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png" } }] },
        ],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "messages.0.content.0.image.source.base64.data: Field required",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    expect(fake.requests.length).toBe(before);
  });
});

describe("auth on /v1/messages", () => {
  test("x-api-key works as well as the SDK's Bearer token", async () => {
    const response = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 20, messages: [{ role: "user", content: "by header" }] },
      { "x-api-key": gw.adminKey ?? "" },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { content: { text: string }[] }).content[0]?.text).toBe(
      "echo: by header",
    );
  });

  test("a bad key is a 401 in Anthropic's shape, audited under frontDoor messages", async () => {
    const response = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 20, messages: [{ role: "user", content: "hi" }] },
      { "x-api-key": "mgw_not_a_real_key" },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: expect.any(String) },
      request_id: response.headers.get("request-id"),
    });
    const bad = new Anthropic({ baseURL: gw.url, apiKey: "mgw_wrong", maxRetries: 0 });
    // An APIPromise is only a thenable to `expect().rejects`: catch it instead.
    const refused = await anthropicFailure(
      bad.messages.create({ model: "m1", max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
    );
    expect(refused).toBeInstanceOf(Anthropic.AuthenticationError);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "messages", status: 401, keyId: null });
  });

  test("a key's rpm limit applies: 429 in Anthropic's shape with Retry-After", async () => {
    const limited = await createKey(gw, { name: "anthropic-rpm", rpm: 1 });
    const body = { model: "m1", max_tokens: 20, messages: [{ role: "user", content: "limit me" }] };
    const first = await post("/v1/messages", body, { "x-api-key": limited.key });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("1");
    const second = await post("/v1/messages", body, { "x-api-key": limited.key });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBeTruthy();
    expect(((await second.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
  });
});

describe("errors in Anthropic's shape", () => {
  test("max_tokens is required: 400 invalid_request_error", async () => {
    const before = fake.requests.length;
    const response = await post(
      "/v1/messages",
      { model: "m1", messages: [{ role: "user", content: "no max" }] },
      { "x-api-key": gw.adminKey ?? "" },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("max_tokens");
    expect(fake.requests.length).toBe(before);
  });

  test("unknown model: 404 not_found_error (NotFoundError in the SDK), its body naming the request as Anthropic's do (request_id)", async () => {
    const error = await anthropicFailure(
      client.messages.create({
        model: "no-such-model",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    // The SDK reads its requestID from the request-id header; its ErrorResponse type has the body's too.
    expect(error.requestID).toMatch(/^req_/);
    expect(error.error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
      request_id: error.requestID,
    });
  });

  test("an upstream 5xx is a 502 api_error", async () => {
    const error = await anthropicFailure(
      client.messages.create({
        model: "m1",
        max_tokens: 5,
        messages: [{ role: "user", content: "boom [[fake:status=500]]" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: "error", error: { type: "api_error" } });
    const row = await auditRow(gw, error.headers?.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "messages", status: 502, model: "m1" });
  });

  test("an upstream error inside a 200 stream becomes an Anthropic `error` event", async () => {
    const response = await post(
      "/v1/messages",
      {
        model: "m1",
        max_tokens: 50,
        stream: true,
        messages: [{ role: "user", content: "one two three four [[fake:stream-error=3]]" }],
      },
      { "x-api-key": gw.adminKey ?? "" },
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("event: message_start");
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"[a-z_]+","message":/);
    expect(text).not.toContain("event: message_stop");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "messages", status: 502, errorClass: "upstream_error" });

    const stream = client.messages.stream({
      model: "m1",
      max_tokens: 50,
      messages: [{ role: "user", content: "one two three four [[fake:stream-error=3]]" }],
    });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  test("count_tokens on an OpenAI-type route: an estimate from a real tokenizer, no upstream call", async () => {
    const before = fake.requests.length;
    const short = await client.messages.countTokens({
      model: "m1",
      messages: [{ role: "user", content: "count me" }],
    });
    const long = await client.messages.countTokens({
      model: "m1",
      system: "You are a careful assistant.",
      messages: [{ role: "user", content: "count me ".repeat(100) }],
      tools: [WEATHER_TOOL],
    });
    // o200k_base: "count me" is 2 tokens, plus the turn's framing.
    expect(short.input_tokens).toBe(5);
    expect(long.input_tokens).toBeGreaterThan(200);
    // An image is one image's estimate wherever it is, whatever the size of its base64.
    const image = {
      type: "image" as const,
      source: {
        type: "base64" as const,
        media_type: "image/png" as const,
        data: "iVBORw0KGgo=".repeat(5000),
      },
    };
    const inTurn = await client.messages.countTokens({
      model: "m1",
      messages: [{ role: "user", content: [image] }],
    });
    const inResult = await client.messages.countTokens({
      model: "m1",
      messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [image] }] }],
    });
    expect([inTurn.input_tokens, inResult.input_tokens]).toEqual([1603, 1603]);
    expect(fake.requests.length).toBe(before);
  });
});

describe("audit", () => {
  test("a successful call leaves one row: frontDoor messages, route, tokens", async () => {
    const response = await post(
      "/v1/messages",
      { model: "m1", max_tokens: 20, messages: [{ role: "user", content: "audit me" }] },
      { "x-api-key": gw.adminKey ?? "" },
    );
    expect(response.status).toBe(200);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      frontDoor: "messages",
      status: 200,
      model: "m1",
      route: "provider:fake",
      upstreamModel: "up-m1",
      keyName: "bootstrap-admin",
      stream: false,
    });
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeGreaterThan(0);
  });

  test("a streamed call is audited with its streamed usage", async () => {
    const stream = client.messages.stream({
      model: "m1",
      max_tokens: 20,
      messages: [{ role: "user", content: "audit my stream" }],
    });
    await stream.finalMessage();
    const id = stream.response?.headers.get("x-request-id") ?? "";
    expect(id).not.toBe("");
    const row = await auditRow(gw, id);
    expect(row).toMatchObject({ frontDoor: "messages", status: 200, stream: true });
    expect(row.outputTokens).toBeGreaterThan(0);
  });
});
