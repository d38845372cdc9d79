import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import type { FakeRequest, FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The Responses API through the compiled gateway, served by translation to chat completions
// on an OpenAI-shaped fake: create, stream, stored responses and `previous_response_id`
// chains, all scoped to the key's tenant.

let fake: FakeUpstream;
let gw: GatewayProcess;
let acme: OpenAI;
let acme2: OpenAI;
let globex: OpenAI;

type Seen = FakeRequest & {
  body: { messages: Record<string, unknown>[] } & Record<string, unknown>;
};
const upstreamCall = async (before: number) => (await fake.waitForRequest(before + 1, 10_000)) as Seen;

const client = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
/** The text of a response's message items (the SDK only adds `output_text` to non-stream results). */
const outputText = (response: OpenAI.Responses.Response) =>
  response.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => (part.type === "output_text" ? part.text : ""))
    .join("");

/**
 * An upstream serving the Responses API itself (the native route `n1`), answering what is queued;
 * as OpenAI, it refuses an input item's id it never answered with.
 */
let native: CannedUpstream;

const JSON_TYPE = { "content-type": "application/json" };
/** A native answer of `output`, under the upstream's own ids. */
const nativeAnswer = (id: string, output: object[]) =>
  JSON.stringify({
    id,
    object: "response",
    status: "completed",
    model: "up-n1",
    output,
    usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
  });
const nativeMessage = (id: string, text: string) => ({
  id,
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }],
});
/** The input of the last request the native upstream was sent. */
const nativeInput = () => (JSON.parse(native.requests.at(-1)?.text ?? "{}") as { input: unknown[] }).input;
/** An item as it reaches an upstream that never issued its id: without it. */
const withoutId = ({ id: _id, ...item }: { id?: string }) => item;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake, own }) => {
    native = own(startCannedUpstream({ resolvesItemIds: true }));
    return {
      providers: [
        { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
        { name: "claude", type: "anthropic", base_url: fake.url },
        { name: "native", type: "openai", base_url: `${native.url}/v1`, responses_api: true },
        // The same canned server as Claude: answers a test spells out block by block.
        { name: "canned-claude", type: "anthropic", base_url: native.url },
      ],
      models: [
        { name: "m1", routes: [{ provider: "fake", model: "up-m1" }] },
        { name: "c1", routes: [{ provider: "claude", model: "claude-up" }] },
        { name: "n1", routes: [{ provider: "native", model: "up-n1" }] },
        { name: "ca1", routes: [{ provider: "canned-claude", model: "claude-up" }] },
      ],
      routing: { retries: 0 },
      // Configured tenants share their stored responses; a free label does not (see below).
      tenants: [{ name: "acme" }, { name: "globex" }],
    };
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
  acme = client((await createKey(gw, { name: "acme-a", tenant: "acme" })).key);
  acme2 = client((await createKey(gw, { name: "acme-b", tenant: "acme" })).key);
  globex = client((await createKey(gw, { name: "globex-a", tenant: "globex" })).key);
});

describe("POST /v1/responses", () => {
  test("non-stream: a response object the SDK reads, from a chat completion upstream", async () => {
    const before = fake.requests.length;
    const response = await acme.responses.create({
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
    const stream = await acme.responses.create({ model: "m1", input: "stream it", stream: true });
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
    const response = await acme.responses.create({
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
    const first = await acme.responses.create({ model: "c1", input: "hello claude" });
    expect(outputText(first)).toBe("echo: hello claude");
    const before = fake.requests.length;
    const stream = await acme.responses.create({
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
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      // After Claude's first text: the answer had begun (an error before it is failed over).
      body: JSON.stringify({ model: "c1", stream: true, input: "one two three [[fake:stream-error=4]]" }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("event: response.created");
    expect(text).toMatch(/event: error\ndata: \{"type":"error"/);
    expect(text).not.toContain("response.completed");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    // Claude's overload, as OpenAI answers one (503): what the caller's error event says.
    expect(row).toMatchObject({ frontDoor: "responses", status: 503, stream: true });
  });
});

describe("bad input, in the Responses API's own terms", () => {
  test("a function_call_output without call_id or output: 400 naming input[0].call_id, on every route, nothing sent", async () => {
    for (const model of ["m1", "c1"]) {
      const before = fake.requests.length;
      const response = await fetch(`${gw.url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${acme.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model, input: [{ type: "function_call_output" }] }),
      });
      expect([model, response.status]).toEqual([model, 400]);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({
        type: "invalid_request_error",
        param: "input[0].call_id",
        message: "Missing required parameter: 'input[0].call_id'.",
      });
      expect(fake.requests.length).toBe(before);
    }
    const error = await acme.responses
      .create({ model: "m1", input: [{ type: "function_call_output", call_id: "c" } as never] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input[0].output");
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
      const served = await post(gw, acme.apiKey, { model, input: "hi", ...fields });
      expect([model, served.status]).toEqual([model, 200]);
      expect(served.headers.get("x-mindgw-dropped")).toBe("max_tool_calls, prompt");
      const before = fake.requests.length;
      const conversation = await post(gw, acme.apiKey, { model, input: "hi", conversation: "conv_123" });
      expect([model, conversation.status]).toEqual([model, 400]);
      expect(((await conversation.json()) as { error: { param: string } }).error.param).toBe("conversation");
      expect(fake.requests.length).toBe(before);
    }
    const strict = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
        translation: { unsupported: "reject" },
      },
    });
    const before = fake.requests.length;
    const refused = await post(strict, strict.adminKey, { model: "m1", input: "hi", ...fields });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("max_tool_calls");
    expect(fake.requests.length).toBe(before);
  });
});

describe("background", () => {
  test("background: true is a 400 naming it on every route, nothing sent: a translated route cannot run it either", async () => {
    for (const model of ["m1", "c1"]) {
      const before = fake.requests.length;
      const error = await acme.responses
        .create({ model, input: "later", background: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("background");
      expect(fake.requests.length).toBe(before);
    }
    const created = await acme.responses.create({ model: "m1", input: "now", background: false });
    expect(created.status).toBe("completed");
  });
});

describe("stored responses and previous_response_id", () => {
  test("GET /v1/responses/{id} returns the stored response, to any key of the same tenant", async () => {
    const created = await acme.responses.create({ model: "m1", input: "remember me" });
    const again = await acme.responses.retrieve(created.id);
    expect(again).toEqual(created);
    const sameTenant = await acme2.responses.retrieve(created.id);
    expect(sameTenant.id).toBe(created.id);
  });

  test("a streamed response is stored too, readable as soon as response.completed arrives", async () => {
    const stream = await acme.responses.create({ model: "m1", input: "streamed and stored", stream: true });
    let id = "";
    for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
    const stored = await acme.responses.retrieve(id);
    expect(outputText(stored)).toBe("echo: streamed and stored");
  });

  test("a chain sends the earlier turns upstream, across several links", async () => {
    const first = await acme.responses.create({ model: "m1", input: "my name is Ada" });
    const before = fake.requests.length;
    const second = await acme.responses.create({
      model: "m1",
      input: "what is my name?",
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual([
      { role: "user", content: "my name is Ada" },
      { role: "assistant", content: "echo: my name is Ada" },
      { role: "user", content: "what is my name?" },
    ]);

    const third = fake.requests.length;
    const stream = await acme.responses.create({
      model: "m1",
      input: "and again?",
      previous_response_id: second.id,
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    const up3 = await upstreamCall(third);
    expect(up3.body.messages.map((m) => m.content)).toEqual([
      "my name is Ada",
      "echo: my name is Ada",
      "what is my name?",
      "echo: what is my name?",
      "and again?",
    ]);
  });

  test("a function call and its output chain through stored items", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: {} },
        strict: false,
      },
    ];
    const first = await acme.responses.create({ model: "m1", input: "weather?", tools });
    const call = first.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function_call item");
    const before = fake.requests.length;
    await acme.responses.create({
      model: "m1",
      previous_response_id: first.id,
      tools,
      tool_choice: "none",
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }],
    });
    const up = await upstreamCall(before);
    expect(up.body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: call.call_id,
            type: "function",
            function: { name: "get_weather", arguments: call.arguments },
          },
        ],
      },
      { role: "tool", tool_call_id: call.call_id, content: "sunny" },
    ]);
  });

  test("input_items pages as OpenAI's does: ids, limit, order, after, has_more; the SDK walks every page", async () => {
    const first = await acme.responses.create({ model: "m1", input: "one" });
    const second = await acme.responses.create({
      model: "m1",
      previous_response_id: first.id,
      input: [
        { role: "user", content: "two" },
        { role: "user", content: [{ type: "input_text", text: "three" }] },
      ],
    });
    // The whole input of the second turn: the first's input and output, then its own, newest first.
    const page = await acme.responses.inputItems.list(second.id, { limit: 2 });
    expect(page.data.map((item) => item.id)).toEqual([
      expect.stringMatching(/^msg_/),
      expect.stringMatching(/^msg_/),
    ]);
    expect(page.has_more).toBe(true);
    const all: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of acme.responses.inputItems.list(second.id, { limit: 2, order: "asc" }))
      all.push(item);
    const texts = all.map((item) =>
      item.type === "message"
        ? item.content.map((part) => ("text" in part ? part.text : "")).join("")
        : item.type,
    );
    expect(texts).toEqual(["one", "echo: one", "two", "three"]);
    expect(all[0]).toMatchObject({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "one" }],
    });
    expect(new Set(all.map((item) => item.id)).size).toBe(4);
    // Ids are stable: the first turn's input item keeps its id in the second turn's list.
    const firstList = await acme.responses.inputItems.list(first.id);
    expect(firstList.data.map((item) => item.id)).toEqual([all[0]?.id ?? "none"]);
    // The chain still reaches the upstream as the client sent it: no listing ids on the messages.
    const before = fake.requests.length;
    await acme.responses.create({ model: "m1", previous_response_id: second.id, input: "four" });
    const up = await upstreamCall(before);
    expect(up.body.messages.map((m) => m.content)).toEqual([
      "one",
      "echo: one",
      "two",
      "three",
      "echo: three",
      "four",
    ]);
  });

  test("text, a call, then text: items of their own ids, streamed and whole alike; input_items pages to the end", async () => {
    const blocks = [
      { type: "text", text: "First I look." },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
      { type: "text", text: "Then I report." },
    ];
    const usage = { input_tokens: 9, output_tokens: 4 };
    const message = { id: "msg_c", type: "message", role: "assistant", model: "claude-up", usage };
    const sse = (type: string, fields: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
    native.queue({
      headers: { "content-type": "text/event-stream" },
      body: [
        sse("message_start", { message: { ...message, content: [], stop_reason: null } }),
        ...blocks.flatMap((block, index) => [
          sse("content_block_start", {
            index,
            content_block: block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} },
          }),
          sse("content_block_delta", {
            index,
            delta:
              block.type === "text"
                ? { type: "text_delta", text: block.text }
                : { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
          }),
          sse("content_block_stop", { index }),
        ]),
        sse("message_delta", { delta: { stop_reason: "tool_use" }, usage }),
        sse("message_stop", {}),
      ],
    });
    native.queue({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...message, content: blocks, stop_reason: "tool_use" }),
    });
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: {} },
        strict: false,
      },
    ];
    const streamed = await acme.responses.stream({ model: "ca1", input: "look", tools }).finalResponse();
    const whole = await acme.responses.create({ model: "ca1", input: "look", tools });
    const shape = (response: OpenAI.Responses.Response) =>
      response.output.map((item) => [item.type, item.id?.replace(response.id.replace(/^resp_/, ""), "X")]);
    expect(shape(streamed)).toEqual([
      ["message", "msg_X"],
      ["function_call", "fc_X_0"],
      ["message", "msg_X_1"],
    ]);
    expect(shape(whole)).toEqual(shape(streamed));
    expect(outputText(whole)).toBe(outputText(streamed));
    // Continued, then listed two at a time by the SDK's auto-pagination: each item once, and an end.
    const call = streamed.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function_call item");
    const next = await acme.responses.create({
      model: "m1",
      previous_response_id: streamed.id,
      tools,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "cold" }],
    });
    const listed: string[] = [];
    for await (const item of acme.responses.inputItems.list(next.id, { limit: 2 })) {
      listed.push(item.id);
      if (listed.length > 20) break;
    }
    expect(listed).toHaveLength(5);
    expect(new Set(listed).size).toBe(5);
  });

  test("ids stored twice are listed once each: input_items' auto-pagination ends", async () => {
    // An earlier answer's message sent back twice, as a client may: its id is the caller's.
    const first = await acme.responses.create({ model: "m1", input: "one" });
    const said = first.output[0];
    if (said?.type !== "message") throw new Error("no message item");
    const created = await acme.responses.create({
      model: "m1",
      input: [said, said, { role: "user", content: "two" }],
    });
    const listed: string[] = [];
    for await (const item of acme.responses.inputItems.list(created.id, { limit: 2, order: "asc" })) {
      listed.push(item.id ?? "");
      if (listed.length > 20) break;
    }
    expect(listed.slice(0, 2)).toEqual([said.id, `${said.id}_1`]);
    expect(listed).toHaveLength(3);
  });

  test("a chain stores each turn once: the 30th response's row is no larger than the 2nd's", async () => {
    let previous: string | undefined;
    const ids: string[] = [];
    for (let turn = 0; turn < 30; turn++) {
      const response = await acme.responses.create({
        model: "m1",
        input: `turn ${String(turn).padStart(2, "0")} ${"x".repeat(2000)}`,
        ...(previous ? { previous_response_id: previous } : {}),
      });
      ids.push(response.id);
      previous = response.id;
    }
    const sizes = withDb(`${gw.dir}/mindgw.db`, (db) =>
      ids.map(
        (id) =>
          db
            .query<{ n: number }, [string]>("SELECT length(items) AS n FROM stored_responses WHERE id = ?")
            .get(id)?.n ?? 0,
      ),
    );
    expect(sizes[29]).toBe(sizes[1] ?? 0);
    // The 30th turn's input still lists the whole conversation, as OpenAI's does.
    let listed = 0;
    for await (const _ of acme.responses.inputItems.list(ids[29] ?? "", { limit: 100 })) listed++;
    expect(listed).toBe(59);
  });

  test("DELETE takes a response's turn with it: the next one's input_items no longer lists it, and its chain cannot be continued", async () => {
    const first = await acme.responses.create({ model: "m1", input: "private first turn" });
    const second = await acme.responses.create({
      model: "m1",
      input: "second",
      previous_response_id: first.id,
    });
    await acme.responses.delete(first.id);
    const listed: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of acme.responses.inputItems.list(second.id)) listed.push(item);
    expect(listed.map((item) => item.type === "message" && item.role)).toEqual(["user"]);
    expect(JSON.stringify(listed)).not.toContain("private first turn");
    // Its chain has a gap: refused as OpenAI words an id it does not hold, so a client (Codex)
    // sends the whole conversation again; nothing goes upstream.
    const before = fake.requests.length;
    const error = await acme.responses
      .create({ model: "m1", input: "third", previous_response_id: second.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: "previous_response_not_found",
      param: "previous_response_id",
      message: `Previous response with id '${second.id}' not found: the response it continues, '${first.id}', was deleted or has expired.`,
    });
    expect(fake.requests.length).toBe(before);
    expect((await acme.responses.retrieve(second.id)).id).toBe(second.id);
  });

  test("input_items: an invalid parameter is a 400 in OpenAI's shape naming it", async () => {
    const created = await acme.responses.create({ model: "m1", input: "params" });
    for (const [query, param] of [
      ["limit=abc", "limit"],
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["order=sideways", "order"],
      ["after=msg_nope", "after"],
      ["include[]=everything", "include"],
    ] as const) {
      const response = await fetch(`${gw.url}/v1/responses/${created.id}/input_items?${query}`, {
        headers: { authorization: `Bearer ${acme.apiKey}` },
      });
      expect([query, response.status]).toEqual([query, 400]);
      const body = (await response.json()) as { error: { type: string; param: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", param });
    }
  });

  test("a native stream that ends incomplete or failed is stored as it ended, and continued from", async () => {
    const event = (type: string, fields: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
    const usage = { input_tokens: 5, output_tokens: 3, total_tokens: 8 };
    const message = (id: string) => ({
      id,
      type: "message",
      role: "assistant",
      status: "incomplete",
      content: [{ type: "output_text", text: "cut sho", annotations: [] }],
    });
    for (const [id, end] of [
      [
        "resp_native_cut",
        {
          type: "response.incomplete",
          status: "incomplete",
          incomplete_details: { reason: "max_output_tokens" },
          usage,
        },
      ],
      // OpenAI's failed response carries no usage.
      [
        "resp_native_failed",
        {
          type: "response.failed",
          status: "failed",
          error: { code: "server_error", message: "x" },
          usage: null,
        },
      ],
    ] as const) {
      const { type, ...response } = end;
      const whole = { id, object: "response", model: "up-n1", output: [message(`msg_${id}`)], ...response };
      native.queue({
        headers: { "content-type": "text/event-stream" },
        body: [
          event("response.created", {
            response: { ...whole, status: "in_progress", output: [], usage: null },
          }),
          // Something of the answer before its end: a response.failed right after the opening
          // fails the attempt over, as an error event there does (routing/relay-scan.ts).
          event("response.output_item.added", { output_index: 0, item: message(`msg_${id}`) }),
          event(type, { response: whole }),
        ],
      });
      const { data: stream, response: answered } = await acme.responses
        .create({ model: "n1", input: "long", stream: true })
        .withResponse();
      let ended = "";
      for await (const e of stream) ended = e.type;
      expect(ended).toBe(type);
      // Recorded as it ended: an incomplete answer is one, a failed one the upstream's failure
      // once output had streamed, as an error event there is.
      const row = await auditRow(gw, answered.headers.get("x-request-id") ?? "");
      expect([type, row.status, row.errorMessage ?? undefined]).toEqual(
        type === "response.failed"
          ? [type, 500, "the stream ended with a failed response"]
          : [type, 200, undefined],
      );
      // Stored: read where it is held (the upstream answers the GET); unknown, a 404 asking no one.
      native.queue({ headers: { "content-type": "application/json" }, body: JSON.stringify(whole) });
      expect((await acme.responses.retrieve(id)).status).toBe(response.status);
      // Continued from: it stays where it is held, sent on by its id.
      native.queue({
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...whole, id: `${id}_next`, status: "completed", usage }),
      });
      await acme.responses.create({ model: "n1", input: "go on", previous_response_id: id });
      expect(JSON.parse(native.requests.at(-1)?.text ?? "{}").previous_response_id).toBe(id);
    }
  });

  test("an item_reference to a translated turn's item reaches a native route as the item itself; one to the native upstream's own item goes as written", async () => {
    // The Vercel AI SDK sends earlier answers back by reference. One a chat route answered is held
    // by the gateway alone: the upstream serving the Responses API has no item of that id.
    const first = await acme.responses.create({ model: "m1", input: "remember 42" });
    const said = first.output[0];
    if (said?.type !== "message") throw new Error("no message item");
    const { id: gatewayOnly, ...item } = said;
    const ask = { role: "user" as const, content: "what number?" };
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_ref1", [nativeMessage("msg_native_ref1", "42")]),
    });
    await acme.responses.create({ model: "n1", input: [{ type: "item_reference", id: gatewayOnly }, ask] });
    // The item as stored, without the gateway's id, which the upstream would look up and not find.
    expect(nativeInput()).toEqual([item, ask]);
    // The native upstream's own answer, referenced on its route: it holds the item, by that id.
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_ref2", [nativeMessage("msg_native_ref2", "42")]),
    });
    const own = [{ type: "item_reference" as const, id: "msg_native_ref1" }, ask];
    await acme.responses.create({ model: "n1", input: own });
    expect(nativeInput()).toEqual(own);
  });

  describe("a conversation a chat route answered, carried on to a route serving the Responses API", () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: {} },
        strict: false,
      },
    ];
    /**
     * A native answer (reasoning by its id alone, and a message), then two turns a chat route
     * answered on from it: one that reasoned and called a tool, one that answered its output. Their
     * items carry ids the gateway made, which the native upstream never issued.
     */
    async function mixedChain() {
      const own = [
        { id: "rs_native_mix", type: "reasoning", summary: [] },
        nativeMessage("msg_native_mix", "noted"),
      ];
      native.queue({ headers: JSON_TYPE, body: nativeAnswer("resp_native_mix", own) });
      await acme.responses.create({ model: "n1", input: "remember 42" });
      const called = await acme.responses.create({
        model: "m1",
        previous_response_id: "resp_native_mix",
        input: "weather? [[fake:reasoning=I look it up.]]",
        tools,
      });
      const call = called.output.find((item) => item.type === "function_call");
      if (call?.type !== "function_call") throw new Error("no function_call item");
      const output = { type: "function_call_output" as const, call_id: call.call_id, output: "sunny" };
      const answered = await acme.responses.create({
        model: "m1",
        previous_response_id: called.id,
        input: [output],
        tools,
        tool_choice: "none",
      });
      expect(called.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
      // The marker stays in the conversation: this turn reasoned too.
      expect(answered.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
      return { own, called, output, answered };
    }
    /** The chat route's items as a native upstream can read them: no id of the gateway's, no bare reasoning. */
    const asNativeReads = (items: readonly { type: string; id?: string }[]) =>
      items.filter((item) => item.type !== "reasoning").map(withoutId);
    const ask = { role: "user" as const, content: "and now?" };

    test("continued by previous_response_id: the chat route's items go without the gateway's ids, its bare reasoning left out; the upstream's own keep theirs", async () => {
      const { own, called, output, answered } = await mixedChain();
      native.queue({
        headers: JSON_TYPE,
        body: nativeAnswer("resp_native_mix2", [nativeMessage("msg_nm2", "ok")]),
      });
      const next = await acme.responses.create({
        model: "n1",
        previous_response_id: answered.id,
        input: [ask],
      });
      // The upstream refuses an id it never issued (OpenAI's 404): answered, every id was its own.
      expect(next.id).toBe("resp_native_mix2");
      expect(nativeInput()).toEqual([
        { type: "message", role: "user", content: "remember 42" },
        ...own,
        { type: "message", role: "user", content: "weather? [[fake:reasoning=I look it up.]]" },
        ...asNativeReads([...called.output, output, ...answered.output]),
        ask,
      ]);
    });

    test("the caller sending the chat route's output items back as input (as the Agents SDK does): without the gateway's ids, bare reasoning left out; the upstream's own keep theirs", async () => {
      const { own, called, output, answered } = await mixedChain();
      native.queue({
        headers: JSON_TYPE,
        body: nativeAnswer("resp_native_mix3", [nativeMessage("msg_nm3", "ok")]),
      });
      const echoed = [...own, ...called.output, output, ...answered.output, ask];
      const next = await acme.responses.create({
        model: "n1",
        input: echoed as OpenAI.Responses.ResponseInput,
      });
      expect(next.id).toBe("resp_native_mix3");
      expect(nativeInput()).toEqual([
        ...own,
        ...asNativeReads([...called.output, output, ...answered.output]),
        ask,
      ]);
    });
  });

  test("an answer its upstream kept no copy of (store: false in it, the caller having asked nothing: Zero Data Retention) is continued by previous_response_id, its turn sent on expanded, without the ids the upstream kept nothing under", async () => {
    const own = [nativeMessage("msg_native_zdr1", "noted")];
    const unkept = { ...JSON.parse(nativeAnswer("resp_native_zdr1", own)), store: false };
    native.queue({ headers: JSON_TYPE, body: JSON.stringify(unkept) });
    const first = await acme.responses.create({ model: "n1", input: "remember 42" });
    expect([first.id, (first as unknown as { store: boolean }).store]).toEqual(["resp_native_zdr1", false]);
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_zdr2", [nativeMessage("msg_native_zdr2", "42")]),
    });
    const ask = { role: "user" as const, content: "which number?" };
    const next = await acme.responses.create({ model: "n1", previous_response_id: first.id, input: [ask] });
    // The upstream refuses the id of a response it kept no copy of (OpenAI's 400): none was sent.
    expect(next.id).toBe("resp_native_zdr2");
    const sent = JSON.parse(native.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "remember 42" },
      ...own.map(withoutId),
      ask,
    ]);
    // Read from the gateway's store, asking no one: the upstream holds nothing to answer a GET.
    const asked = native.requests.length;
    expect((await acme.responses.retrieve(first.id)).id).toBe(first.id);
    expect(native.requests.length).toBe(asked);
  });

  test("a store: false answer of a native route sent back as input: its items without the ids the upstream kept nothing under, its reasoning with its encrypted_content; a bare reasoning item is OpenAI's 404, nothing sent", async () => {
    const ask = { role: "user" as const, content: "which number?" };
    const sealed = "gAAAAB-http-sealed-reasoning-1";
    const first = [
      { id: "rs_native_unkept1", type: "reasoning", summary: [], encrypted_content: sealed },
      nativeMessage("msg_native_unkept1", "noted"),
    ];
    native.queue({ headers: JSON_TYPE, body: nativeAnswer("resp_native_unkept1", first) });
    const stateless = { store: false, include: ["reasoning.encrypted_content" as const] };
    const answered = await acme.responses.create({ model: "n1", input: "remember 42", ...stateless });
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_unkept2", [nativeMessage("msg_native_unkept2", "42")]),
    });
    const next = await acme.responses.create({
      model: "n1",
      input: [...answered.output, ask] as OpenAI.Responses.ResponseInput,
      ...stateless,
    });
    // The upstream refuses an id of a `store: false` answer (OpenAI's 404, "not persisted"): the
    // gateway stored none of those items either, so their ids go no further.
    expect(next.id).toBe("resp_native_unkept2");
    expect(nativeInput()).toEqual([...first.map(withoutId), ask]);
    // Not asked for its reasoning encrypted: the item is its id alone, which nothing holds.
    const bare = { id: "rs_native_unkept3", type: "reasoning", summary: [] };
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_unkept3", [bare, nativeMessage("msg_native_unkept3", "noted")]),
    });
    const unsealed = await acme.responses.create({ model: "n1", input: "remember 7", store: false });
    const sent = native.requests.length;
    const refused = await acme.responses
      .create({
        model: "n1",
        input: [...unsealed.output, ask] as OpenAI.Responses.ResponseInput,
        store: false,
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 404,
      message: "404 Item with id 'rs_native_unkept3' not found.",
    });
    expect(native.requests.length).toBe(sent);
  });

  test("a compaction a chat route wrote, sent back as input (as Codex sends its compacted history): to a native route, its summary as the user message a chat route is sent, without the gateway's id", async () => {
    const compacted = await fetch(`${gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${acme.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", input: [{ role: "user", content: "remember 42" }] }),
    });
    expect(compacted.status).toBe(200);
    const { output } = (await compacted.json()) as { output: { id: string; type: string }[] };
    expect(output.map((item) => [item.type, item.id.startsWith("cmp_")])).toEqual([["compaction", true]]);
    const input = [...output, { role: "user" as const, content: "what number?" }];
    const before = fake.requests.length;
    await acme.responses.create({ model: "m1", input: input as OpenAI.Responses.ResponseInput });
    const [summary, ...rest] = (await upstreamCall(before)).body.messages;
    expect(summary).toEqual({
      role: "user",
      content: expect.stringMatching(
        /^Summary of the conversation so far \(it replaces the earlier turns\):\n\n\S/,
      ),
    });
    expect(rest).toEqual([{ role: "user", content: "what number?" }]);
    native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_cmp1", [nativeMessage("msg_native_cmp1", "42")]),
    });
    // The upstream cannot decrypt what the gateway wrote (OpenAI's 400 invalid_encrypted_content),
    // nor find its id: answered, it was sent the summary alone.
    const next = await acme.responses.create({ model: "n1", input: input as OpenAI.Responses.ResponseInput });
    expect(next.id).toBe("resp_native_cmp1");
    expect(nativeInput()).toEqual([summary, input[1]]);
  });

  test("/v1/responses/compact to a native route is sent as POST /v1/responses would be there, not as sent: a chain the gateway holds expanded, the gateway's ids taken off; nothing stored", async () => {
    const first = await acme.responses.create({ model: "m1", input: "remember 42" });
    const compaction = {
      id: "resp_native_cmp2",
      object: "response.compaction",
      output: [{ id: "cmp_native2", type: "compaction", encrypted_content: "sealed-by-upstream" }],
      usage: { input_tokens: 9, output_tokens: 1, total_tokens: 10 },
    };
    native.queue({ headers: JSON_TYPE, body: JSON.stringify(compaction) });
    const ask = { role: "user", content: "compact it" };
    const compacted = await fetch(`${gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${acme.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "n1", previous_response_id: first.id, input: [ask], stream: true }),
    });
    expect([compacted.status, await compacted.json()]).toEqual([200, compaction]);
    const up = native.requests.at(-1);
    expect(up?.path).toBe("/v1/responses/compact");
    // The upstream never held the translated turn: it goes inlined, without the gateway's ids.
    expect(JSON.parse(up?.text ?? "{}")).toEqual({
      model: "up-n1",
      input: [{ type: "message", role: "user", content: "remember 42" }, ...first.output.map(withoutId), ask],
    });
    const unknown = await acme.responses.retrieve(compaction.id).catch((error: unknown) => error);
    expect((unknown as { status?: number }).status).toBe(404);
  });

  test("store: false answers but keeps nothing", async () => {
    const response = await acme.responses.create({ model: "m1", input: "forget me", store: false });
    expect((response as unknown as { store: boolean }).store).toBe(false);
    const error = await acme.responses.retrieve(response.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("tenant isolation", () => {
  test("another tenant cannot read a stored response: 404, like an unknown id", async () => {
    const mine = await acme.responses.create({ model: "m1", input: "acme secret" });
    const theirs = await globex.responses.retrieve(mine.id).catch((e: unknown) => e);
    expect(theirs).toBeInstanceOf(OpenAI.NotFoundError);
    const unknown = await globex.responses.retrieve("resp_does_not_exist").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((theirs as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      code: null,
    });
    expect(JSON.stringify((theirs as InstanceType<typeof OpenAI.NotFoundError>).error)).not.toContain(
      "acme secret",
    );
  });

  test("another tenant cannot chain on it: OpenAI's 400 previous_response_not_found, nothing sent upstream", async () => {
    const mine = await acme.responses.create({ model: "m1", input: "acme only" });
    const before = fake.requests.length;
    const error = await globex.responses
      .create({ model: "m1", input: "continue", previous_response_id: mine.id })
      .catch((e: unknown) => e);
    // As OpenAI answers it, so a client (Codex) sends the whole conversation again.
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: "invalid_request_error",
      code: "previous_response_not_found",
      param: "previous_response_id",
    });
    const unknown = await acme.responses
      .create({ model: "m1", input: "continue", previous_response_id: "resp_nope" })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect(fake.requests.length).toBe(before);
  });
});

describe("keys outside every tenant", () => {
  test("each key's stored responses are its own: another key cannot read, list, chain on or delete them", async () => {
    const appA = await createKey(gw, { name: "app-a" });
    const a = client(appA.key);
    const b = client((await createKey(gw, { name: "app-b" })).key);
    const mine = await a.responses.create({ model: "m1", input: "app-a private" });
    const before = fake.requests.length;
    for (const attempt of [
      b.responses.retrieve(mine.id),
      b.responses.inputItems.list(mine.id),
      b.responses.delete(mine.id),
    ])
      expect(await attempt.catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(
      await b.responses
        .create({ model: "m1", input: "continue", previous_response_id: mine.id })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.BadRequestError);
    expect(fake.requests.length).toBe(before);
    // The owner still reads and continues it.
    expect((await a.responses.retrieve(mine.id)).id).toBe(mine.id);
    const next = await a.responses.create({ model: "m1", input: "go on", previous_response_id: mine.id });
    expect(next.status).toBe("completed");
    // A rotation's new key is the same caller's: it reads and continues them (docs/CLIENTS.md),
    // and another key still does not.
    const rotated = await fetch(`${gw.url}/admin/api/keys/${appA.id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const fresh = client(((await rotated.json()) as { key: string }).key);
    expect((await fresh.responses.retrieve(mine.id)).id).toBe(mine.id);
    const onFresh = await fresh.responses.create({
      model: "m1",
      input: "and on",
      previous_response_id: next.id,
    });
    expect(onFresh.status).toBe("completed");
    expect(await b.responses.retrieve(onFresh.id).catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    await a.responses.delete(mine.id);
    expect(await a.responses.retrieve(mine.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("keys sharing a free tenant label", () => {
  test("share nothing: another key of the label cannot read, list, chain on or delete the owner's", async () => {
    // No `tenants:` at all: a key's tenant is a free label, which makes nobody a member.
    const free = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
      },
    });
    const on = (key: string) => new OpenAI({ baseURL: `${free.url}/v1`, apiKey: key, maxRetries: 0 });
    const alice = on((await createKey(free, { name: "alice", tenant: "acme" })).key);
    const mallory = on((await createKey(free, { name: "mallory", tenant: "acme" })).key);
    const mine = await alice.responses.create({ model: "m1", input: "alice private" });
    const before = fake.requests.length;
    for (const attempt of [
      mallory.responses.retrieve(mine.id),
      mallory.responses.inputItems.list(mine.id),
      mallory.responses.delete(mine.id),
    ])
      expect(await attempt.catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(
      await mallory.responses
        .create({ model: "m1", input: "continue", previous_response_id: mine.id })
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.BadRequestError);
    expect(fake.requests.length).toBe(before);
    const items = await alice.responses.inputItems.list(mine.id);
    expect(JSON.stringify(items.data)).toContain("alice private");
  });
});

describe("the same rules as chat completions", () => {
  test("auth: no key or a bad key is a 401 on both routes", async () => {
    for (const [method, path] of [
      ["POST", "/v1/responses"],
      ["GET", "/v1/responses/resp_x"],
    ] as const) {
      const response = await fetch(`${gw.url}${path}`, {
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
    const limited = client((await createKey(gw, { name: "resp-rpm", tenant: "acme", rpm: 1 })).key);
    await limited.responses.create({ model: "m1", input: "one" });
    const error = await limited.responses.create({ model: "m1", input: "two" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test("a model outside the key's list is the 404 of a missing one", async () => {
    const narrow = client((await createKey(gw, { name: "resp-narrow", models: ["other-*"] })).key);
    const error = await narrow.responses.create({ model: "m1", input: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("GET /v1/responses without a WebSocket upgrade is a 426 naming it (the upgrade: responses-socket.test.ts)", async () => {
    const plain = await fetch(`${gw.url}/v1/responses`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
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
    const { data, response } = await acme.responses.create({ model: "m1", input: "audit me" }).withResponse();
    const created = await auditRow(gw, response.headers.get("x-request-id") ?? "");
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

    const read = await globex.responses
      .retrieve(data.id)
      .withResponse()
      .catch((e: unknown) => e);
    const readId = (read as InstanceType<typeof OpenAI.APIError>).headers?.get("x-request-id") ?? "";
    const row = await auditRow(gw, readId);
    expect(row).toMatchObject({
      frontDoor: "stored_responses",
      status: 404,
      keyName: "globex-a",
      tenant: "globex",
    });
    const { response: readOk } = await acme.responses.retrieve(data.id).withResponse();
    expect(await auditRow(gw, readOk.headers.get("x-request-id") ?? "")).toMatchObject({
      frontDoor: "stored_responses",
      status: 200,
      model: null,
      keyName: "acme-a",
    });
  });
});
