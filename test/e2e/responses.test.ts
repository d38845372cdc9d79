import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { outputText, responsesFixture } from "./harness/responses-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The Responses API through the compiled gateway, served by translation to chat completions
// on an OpenAI-shaped fake: create, stream, stored responses and `previous_response_id`
// chains, all scoped to the key's tenant.
// Here: creating a response on each kind of route, what a chat upstream cannot be given, and the
// rules chat completions keep (auth, limits, models, audit).

const api = responsesFixture();
const { fx, client, upstreamCall } = api;

describe("POST /v1/responses", () => {
  test("non-stream: a response object the SDK reads, from a chat completion upstream", async () => {
    const before = fx.fake.requests.length;
    const response = await api.acme.responses.create({
      model: "m1",
      instructions: "Be brief.",
      input: "hello responses",
    });
    expect(response.object).toBe("response");
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe("completed");
    expect(response.model).toBe("m1");
    expect(outputText(response)).toBe("echo: hello responses");
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/chat/completions");
    expect(up.body.model).toBe("up-m1");
    expect(up.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hello responses" },
    ]);
  });

  test("stream: the Responses event sequence, ending in response.completed", async () => {
    const stream = await api.acme.responses.create({ model: "m1", input: "stream it", stream: true });
    const types: string[] = [];
    let text = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.output_text.delta");
    expect(types.at(-1)).toBe("response.completed");
    expect(text).toBe("echo: stream it");
    expect(completed?.status).toBe("completed");
    expect(completed && outputText(completed)).toBe("echo: stream it");
  });

  test("function tools: a function_call item with the streamed arguments", async () => {
    const response = await api.acme.responses.create({
      model: "m1",
      input: "weather in Paris?",
      tools: [
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } } },
          strict: false,
        },
      ],
      stream: false,
    });
    const call = response.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function_call item");
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
  });
});

describe("POST /v1/responses on an Anthropic route (Responses → chat → Messages)", () => {
  test("non-stream and stream, chained, with Claude upstream", async () => {
    const first = await api.acme.responses.create({ model: "c1", input: "hello claude" });
    expect(outputText(first)).toBe("echo: hello claude");
    const before = fx.fake.requests.length;
    const stream = await api.acme.responses.create({
      model: "c1",
      input: "and now?",
      previous_response_id: first.id,
      stream: true,
    });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe("echo: and now?");
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect(up.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "hello claude" }] },
      { role: "assistant", content: [{ type: "text", text: "echo: hello claude" }] },
      { role: "user", content: [{ type: "text", text: "and now?" }] },
    ]);
  });

  test("an `event: error` inside Claude's 200 stream becomes a Responses `error` event", async () => {
    const response = await fetch(`${fx.gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.gw.adminKey}`, "content-type": "application/json" },
      // After Claude's first text: the answer had begun (an error before it is failed over).
      body: JSON.stringify({ model: "c1", stream: true, input: "one two three [[fake:stream-error=4]]" }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("event: response.created");
    expect(text).toMatch(/event: error\ndata: \{"type":"error"/);
    expect(text).not.toContain("response.completed");
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    // Claude's overload, as OpenAI answers one (503): what the caller's error event says.
    expect(row).toMatchObject({ frontDoor: "responses", status: 503, stream: true });
  });
});

describe("bad input, in the Responses API's own terms", () => {
  test("a function_call_output without call_id or output: 400 naming input[0].call_id, on every route, nothing sent", async () => {
    for (const model of ["m1", "c1"]) {
      const before = fx.fake.requests.length;
      const response = await fetch(`${fx.gw.url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${api.acme.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model, input: [{ type: "function_call_output" }] }),
      });
      expect([model, response.status]).toEqual([model, 400]);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({
        type: "invalid_request_error",
        param: "input[0].call_id",
        message: "Missing required parameter: 'input[0].call_id'.",
      });
      expect(fx.fake.requests.length).toBe(before);
    }
    const error = await openaiFailure(
      api.acme.responses.create({
        model: "m1",
        input: [{ type: "function_call_output", call_id: "c" } as never],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("input[0].output");
  });
});

describe("fields a chat upstream cannot be given", () => {
  const post = (target: GatewayProcess, key: string | null, body: object) =>
    fetch(`${target.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key ?? ""}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  test("named in x-mindgw-dropped; under reject a 400 naming the field, nothing sent; conversation refused either way", async () => {
    const fields = { max_tool_calls: 2, prompt: { id: "pmpt_1", variables: { city: "Paris" } } };
    for (const model of ["m1", "c1"]) {
      const served = await post(fx.gw, api.acme.apiKey, { model, input: "hi", ...fields });
      expect([model, served.status]).toEqual([model, 200]);
      expect(served.headers.get("x-mindgw-dropped")).toBe("max_tool_calls, prompt");
      const before = fx.fake.requests.length;
      const conversation = await post(fx.gw, api.acme.apiKey, {
        model,
        input: "hi",
        conversation: "conv_123",
      });
      expect([model, conversation.status]).toEqual([model, 400]);
      expect(((await conversation.json()) as { error: { param: string } }).error.param).toBe("conversation");
      expect(fx.fake.requests.length).toBe(before);
    }
    const strict = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
        translation: { unsupported: "reject" },
      },
    });
    const before = fx.fake.requests.length;
    const refused = await post(strict, strict.adminKey, { model: "m1", input: "hi", ...fields });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("max_tool_calls");
    expect(fx.fake.requests.length).toBe(before);
  });
});

describe("background", () => {
  test("background: true is a 400 naming it on every route, nothing sent: a translated route cannot run it either", async () => {
    for (const model of ["m1", "c1"]) {
      const before = fx.fake.requests.length;
      const error = await openaiFailure(
        api.acme.responses.create({ model, input: "later", background: true }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe("background");
      expect(fx.fake.requests.length).toBe(before);
    }
    const created = await api.acme.responses.create({ model: "m1", input: "now", background: false });
    expect(created.status).toBe("completed");
  });
});

describe("the same rules as chat completions", () => {
  test("auth: no key or a bad key is a 401 on both routes", async () => {
    for (const [method, path] of [
      ["POST", "/v1/responses"],
      ["GET", "/v1/responses/resp_x"],
    ] as const) {
      const response = await fetch(`${fx.gw.url}${path}`, {
        method,
        headers: { authorization: "Bearer mgw_bogus", "content-type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify({ model: "m1", input: "hi" }) } : {}),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe(
        "authentication_error",
      );
    }
  });

  test("limits: a key's rpm covers /v1/responses", async () => {
    const limited = client((await createKey(fx.gw, { name: "resp-rpm", tenant: "acme", rpm: 1 })).key);
    await limited.responses.create({ model: "m1", input: "one" });
    const error = await openaiFailure(limited.responses.create({ model: "m1", input: "two" }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test("a model outside the key's list is the 404 of a missing one", async () => {
    const narrow = client((await createKey(fx.gw, { name: "resp-narrow", models: ["other-*"] })).key);
    const error = await openaiFailure(narrow.responses.create({ model: "m1", input: "x" }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("GET /v1/responses without a WebSocket upgrade is a 426 naming it (the upgrade: responses-socket.test.ts)", async () => {
    const plain = await fetch(`${fx.gw.url}/v1/responses`, {
      headers: { authorization: `Bearer ${fx.gw.adminKey}` },
    });
    expect(plain.headers.get("upgrade")).toBe("websocket");
    expect({ status: plain.status, body: await plain.json() }).toMatchObject({
      status: 426,
      body: {
        error: {
          type: "invalid_request_error",
          code: "upgrade_required",
          message: "GET /v1/responses takes a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)",
        },
      },
    });
  });

  test("audit: creates leave rows with frontDoor responses, reads with stored_responses", async () => {
    const { data, response } = await api.acme.responses
      .create({ model: "m1", input: "audit me" })
      .withResponse();
    const created = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect(created).toMatchObject({
      frontDoor: "responses",
      status: 200,
      model: "m1",
      route: "provider:fake",
      upstreamModel: "up-m1",
      keyName: "acme-a",
      tenant: "acme",
    });
    expect(created.outputTokens).toBeGreaterThan(0);

    const read = await openaiFailure(api.globex.responses.retrieve(data.id).withResponse());
    const readId = read.headers?.get("x-request-id") ?? "";
    const row = await auditRow(fx.gw, readId);
    expect(row).toMatchObject({
      frontDoor: "stored_responses",
      status: 404,
      keyName: "globex-a",
      tenant: "globex",
    });
    const { response: readOk } = await api.acme.responses.retrieve(data.id).withResponse();
    expect(await auditRow(fx.gw, readOk.headers.get("x-request-id") ?? "")).toMatchObject({
      frontDoor: "stored_responses",
      status: 200,
      model: null,
      keyName: "acme-a",
    });
  });
});
