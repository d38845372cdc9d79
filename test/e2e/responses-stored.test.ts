import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { withDb } from "./harness/audit-kit.ts";
import { outputText, responsesFixture } from "./harness/responses-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Stored responses and `previous_response_id` chains on translated routes: read back, listed
// (input_items), continued, deleted; each turn stored once.

const api = responsesFixture();
const { fx, upstreamCall } = api;

describe("stored responses and previous_response_id", () => {
  test("GET /v1/responses/{id} returns the stored response, to any key of the same tenant", async () => {
    const created = await api.acme.responses.create({ model: "m1", input: "remember me" });
    const again = await api.acme.responses.retrieve(created.id);
    expect(again).toEqual(created);
    const sameTenant = await api.acme2.responses.retrieve(created.id);
    expect(sameTenant.id).toBe(created.id);
  });

  test("a streamed response is stored too, readable as soon as response.completed arrives", async () => {
    const stream = await api.acme.responses.create({
      model: "m1",
      input: "streamed and stored",
      stream: true,
    });
    let id = "";
    for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
    const stored = await api.acme.responses.retrieve(id);
    expect(outputText(stored)).toBe("echo: streamed and stored");
  });

  test("a chain sends the earlier turns upstream, across several links", async () => {
    const first = await api.acme.responses.create({ model: "m1", input: "my name is Ada" });
    const before = fx.fake.requests.length;
    const second = await api.acme.responses.create({
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

    const third = fx.fake.requests.length;
    const stream = await api.acme.responses.create({
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
    const first = await api.acme.responses.create({ model: "m1", input: "weather?", tools });
    const call = first.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function_call item");
    const before = fx.fake.requests.length;
    await api.acme.responses.create({
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
    const first = await api.acme.responses.create({ model: "m1", input: "one" });
    const second = await api.acme.responses.create({
      model: "m1",
      previous_response_id: first.id,
      input: [
        { role: "user", content: "two" },
        { role: "user", content: [{ type: "input_text", text: "three" }] },
      ],
    });
    // The whole input of the second turn: the first's input and output, then its own, newest first.
    const page = await api.acme.responses.inputItems.list(second.id, { limit: 2 });
    expect(page.data.map((item) => item.id)).toEqual([
      expect.stringMatching(/^msg_/),
      expect.stringMatching(/^msg_/),
    ]);
    expect(page.has_more).toBe(true);
    const all: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of api.acme.responses.inputItems.list(second.id, { limit: 2, order: "asc" }))
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
    const firstList = await api.acme.responses.inputItems.list(first.id);
    expect(firstList.data.map((item) => item.id)).toEqual([all[0]?.id ?? "none"]);
    // The chain still reaches the upstream as the client sent it: no listing ids on the messages.
    const before = fx.fake.requests.length;
    await api.acme.responses.create({ model: "m1", previous_response_id: second.id, input: "four" });
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
    api.native.queue({
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
    api.native.queue({
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
    const streamed = await api.acme.responses.stream({ model: "ca1", input: "look", tools }).finalResponse();
    const whole = await api.acme.responses.create({ model: "ca1", input: "look", tools });
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
    const next = await api.acme.responses.create({
      model: "m1",
      previous_response_id: streamed.id,
      tools,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "cold" }],
    });
    const listed: string[] = [];
    for await (const item of api.acme.responses.inputItems.list(next.id, { limit: 2 })) {
      listed.push(item.id);
      if (listed.length > 20) break;
    }
    expect(listed).toHaveLength(5);
    expect(new Set(listed).size).toBe(5);
  });

  test("ids stored twice are listed once each: input_items' auto-pagination ends", async () => {
    // An earlier answer's message sent back twice, as a client may: its id is the caller's.
    const first = await api.acme.responses.create({ model: "m1", input: "one" });
    const said = first.output[0];
    if (said?.type !== "message") throw new Error("no message item");
    const created = await api.acme.responses.create({
      model: "m1",
      input: [said, said, { role: "user", content: "two" }],
    });
    const listed: string[] = [];
    for await (const item of api.acme.responses.inputItems.list(created.id, { limit: 2, order: "asc" })) {
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
      const response = await api.acme.responses.create({
        model: "m1",
        input: `turn ${String(turn).padStart(2, "0")} ${"x".repeat(2000)}`,
        ...(previous ? { previous_response_id: previous } : {}),
      });
      ids.push(response.id);
      previous = response.id;
    }
    const sizes = withDb(`${fx.gw.dir}/mindgw.db`, (db) =>
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
    for await (const _ of api.acme.responses.inputItems.list(ids[29] ?? "", { limit: 100 })) listed++;
    expect(listed).toBe(59);
  });

  test("DELETE takes a response's turn with it: the next one's input_items no longer lists it, and its chain cannot be continued", async () => {
    const first = await api.acme.responses.create({ model: "m1", input: "private first turn" });
    const second = await api.acme.responses.create({
      model: "m1",
      input: "second",
      previous_response_id: first.id,
    });
    await api.acme.responses.delete(first.id);
    const listed: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of api.acme.responses.inputItems.list(second.id)) listed.push(item);
    expect(listed.map((item) => item.type === "message" && item.role)).toEqual(["user"]);
    expect(JSON.stringify(listed)).not.toContain("private first turn");
    // Its chain has a gap: refused as OpenAI words an id it does not hold, so a client (Codex)
    // sends the whole conversation again; nothing goes upstream.
    const before = fx.fake.requests.length;
    const error = await openaiFailure(
      api.acme.responses.create({ model: "m1", input: "third", previous_response_id: second.id }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({
      code: "previous_response_not_found",
      param: "previous_response_id",
      message: `Previous response with id '${second.id}' not found: the response it continues, '${first.id}', was deleted or has expired.`,
    });
    expect(fx.fake.requests.length).toBe(before);
    expect((await api.acme.responses.retrieve(second.id)).id).toBe(second.id);
  });

  test("input_items: an invalid parameter is a 400 in OpenAI's shape naming it", async () => {
    const created = await api.acme.responses.create({ model: "m1", input: "params" });
    for (const [query, param] of [
      ["limit=abc", "limit"],
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["order=sideways", "order"],
      ["after=msg_nope", "after"],
      ["include[]=everything", "include"],
    ] as const) {
      const response = await fetch(`${fx.gw.url}/v1/responses/${created.id}/input_items?${query}`, {
        headers: { authorization: `Bearer ${api.acme.apiKey}` },
      });
      expect([query, response.status]).toEqual([query, 400]);
      const body = (await response.json()) as { error: { type: string; param: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", param });
    }
  });

  test("store: false answers but keeps nothing", async () => {
    const response = await api.acme.responses.create({ model: "m1", input: "forget me", store: false });
    expect((response as unknown as { store: boolean }).store).toBe(false);
    const error = await openaiFailure(api.acme.responses.retrieve(response.id));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
