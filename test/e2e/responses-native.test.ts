import { describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import {
  JSON_TYPE,
  nativeAnswer,
  nativeMessage,
  responsesFixture,
  withoutId,
} from "./harness/responses-fixture.ts";

// Stored responses and chains across a route serving the Responses API itself: its own ids and
// failures kept, a translated turn's items carried to it, what it kept no copy of sent expanded.

const api = responsesFixture();
const { fx, upstreamCall, nativeInput } = api;

describe("stored responses and previous_response_id", () => {
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
      api.native.queue({
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
      const { data: stream, response: answered } = await api.acme.responses
        .create({ model: "n1", input: "long", stream: true })
        .withResponse();
      let ended = "";
      for await (const e of stream) ended = e.type;
      expect(ended).toBe(type);
      // Recorded as it ended: an incomplete answer is one, a failed one the upstream's failure
      // once output had streamed, as an error event there is.
      const row = await auditRow(fx.gw, answered.headers.get("x-request-id") ?? "");
      expect([type, row.status, row.errorMessage ?? undefined]).toEqual(
        type === "response.failed"
          ? [type, 500, "the stream ended with a failed response"]
          : [type, 200, undefined],
      );
      // Stored: read where it is held (the upstream answers the GET); unknown, a 404 asking no one.
      api.native.queue({ headers: { "content-type": "application/json" }, body: JSON.stringify(whole) });
      expect((await api.acme.responses.retrieve(id)).status).toBe(response.status);
      // Continued from: it stays where it is held, sent on by its id.
      api.native.queue({
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...whole, id: `${id}_next`, status: "completed", usage }),
      });
      await api.acme.responses.create({ model: "n1", input: "go on", previous_response_id: id });
      expect(JSON.parse(api.native.requests.at(-1)?.text ?? "{}").previous_response_id).toBe(id);
    }
  });

  test("an item_reference to a translated turn's item reaches a native route as the item itself; one to the native upstream's own item goes as written", async () => {
    // The Vercel AI SDK sends earlier answers back by reference. One a chat route answered is held
    // by the gateway alone: the upstream serving the Responses API has no item of that id.
    const first = await api.acme.responses.create({ model: "m1", input: "remember 42" });
    const said = first.output[0];
    if (said?.type !== "message") throw new Error("no message item");
    const { id: gatewayOnly, ...item } = said;
    const ask = { role: "user" as const, content: "what number?" };
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_ref1", [nativeMessage("msg_native_ref1", "42")]),
    });
    await api.acme.responses.create({
      model: "n1",
      input: [{ type: "item_reference", id: gatewayOnly }, ask],
    });
    // The item as stored, without the gateway's id, which the upstream would look up and not find.
    expect(nativeInput()).toEqual([item, ask]);
    // The native upstream's own answer, referenced on its route: it holds the item, by that id.
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_ref2", [nativeMessage("msg_native_ref2", "42")]),
    });
    const own = [{ type: "item_reference" as const, id: "msg_native_ref1" }, ask];
    await api.acme.responses.create({ model: "n1", input: own });
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
      api.native.queue({ headers: JSON_TYPE, body: nativeAnswer("resp_native_mix", own) });
      await api.acme.responses.create({ model: "n1", input: "remember 42" });
      const called = await api.acme.responses.create({
        model: "m1",
        previous_response_id: "resp_native_mix",
        input: "weather? [[fake:reasoning=I look it up.]]",
        tools,
      });
      const call = called.output.find((item) => item.type === "function_call");
      if (call?.type !== "function_call") throw new Error("no function_call item");
      const output = { type: "function_call_output" as const, call_id: call.call_id, output: "sunny" };
      const answered = await api.acme.responses.create({
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
      api.native.queue({
        headers: JSON_TYPE,
        body: nativeAnswer("resp_native_mix2", [nativeMessage("msg_nm2", "ok")]),
      });
      const next = await api.acme.responses.create({
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
      api.native.queue({
        headers: JSON_TYPE,
        body: nativeAnswer("resp_native_mix3", [nativeMessage("msg_nm3", "ok")]),
      });
      const echoed = [...own, ...called.output, output, ...answered.output, ask];
      const next = await api.acme.responses.create({
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
    api.native.queue({ headers: JSON_TYPE, body: JSON.stringify(unkept) });
    const first = await api.acme.responses.create({ model: "n1", input: "remember 42" });
    expect([first.id, (first as unknown as { store: boolean }).store]).toEqual(["resp_native_zdr1", false]);
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_zdr2", [nativeMessage("msg_native_zdr2", "42")]),
    });
    const ask = { role: "user" as const, content: "which number?" };
    const next = await api.acme.responses.create({
      model: "n1",
      previous_response_id: first.id,
      input: [ask],
    });
    // The upstream refuses the id of a response it kept no copy of (OpenAI's 400): none was sent.
    expect(next.id).toBe("resp_native_zdr2");
    const sent = JSON.parse(api.native.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "remember 42" },
      ...own.map(withoutId),
      ask,
    ]);
    // Read from the gateway's store, asking no one: the upstream holds nothing to answer a GET.
    const asked = api.native.requests.length;
    expect((await api.acme.responses.retrieve(first.id)).id).toBe(first.id);
    expect(api.native.requests.length).toBe(asked);
  });

  test("a store: false answer of a native route sent back as input: its items without the ids the upstream kept nothing under, its reasoning with its encrypted_content; a bare reasoning item is OpenAI's 404, nothing sent", async () => {
    const ask = { role: "user" as const, content: "which number?" };
    const sealed = "gAAAAB-http-sealed-reasoning-1";
    const first = [
      { id: "rs_native_unkept1", type: "reasoning", summary: [], encrypted_content: sealed },
      nativeMessage("msg_native_unkept1", "noted"),
    ];
    api.native.queue({ headers: JSON_TYPE, body: nativeAnswer("resp_native_unkept1", first) });
    const stateless = { store: false, include: ["reasoning.encrypted_content" as const] };
    const answered = await api.acme.responses.create({ model: "n1", input: "remember 42", ...stateless });
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_unkept2", [nativeMessage("msg_native_unkept2", "42")]),
    });
    const next = await api.acme.responses.create({
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
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_unkept3", [bare, nativeMessage("msg_native_unkept3", "noted")]),
    });
    const unsealed = await api.acme.responses.create({ model: "n1", input: "remember 7", store: false });
    const sent = api.native.requests.length;
    const refused = await api.acme.responses
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
    expect(api.native.requests.length).toBe(sent);
  });

  test("a compaction a chat route wrote, sent back as input (as Codex sends its compacted history): to a native route, its summary as the user message a chat route is sent, without the gateway's id", async () => {
    const compacted = await fetch(`${fx.gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.acme.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", input: [{ role: "user", content: "remember 42" }] }),
    });
    expect(compacted.status).toBe(200);
    const { output } = (await compacted.json()) as { output: { id: string; type: string }[] };
    expect(output.map((item) => [item.type, item.id.startsWith("cmp_")])).toEqual([["compaction", true]]);
    const input = [...output, { role: "user" as const, content: "what number?" }];
    const before = fx.fake.requests.length;
    await api.acme.responses.create({ model: "m1", input: input as OpenAI.Responses.ResponseInput });
    const [summary, ...rest] = (await upstreamCall(before)).body.messages;
    expect(summary).toEqual({
      role: "user",
      content: expect.stringMatching(
        /^Summary of the conversation so far \(it replaces the earlier turns\):\n\n\S/,
      ),
    });
    expect(rest).toEqual([{ role: "user", content: "what number?" }]);
    api.native.queue({
      headers: JSON_TYPE,
      body: nativeAnswer("resp_native_cmp1", [nativeMessage("msg_native_cmp1", "42")]),
    });
    // The upstream cannot decrypt what the gateway wrote (OpenAI's 400 invalid_encrypted_content),
    // nor find its id: answered, it was sent the summary alone.
    const next = await api.acme.responses.create({
      model: "n1",
      input: input as OpenAI.Responses.ResponseInput,
    });
    expect(next.id).toBe("resp_native_cmp1");
    expect(nativeInput()).toEqual([summary, input[1]]);
  });

  test("/v1/responses/compact to a native route is sent as POST /v1/responses would be there, not as sent: a chain the gateway holds expanded, the gateway's ids taken off; nothing stored", async () => {
    const first = await api.acme.responses.create({ model: "m1", input: "remember 42" });
    const compaction = {
      id: "resp_native_cmp2",
      object: "response.compaction",
      output: [{ id: "cmp_native2", type: "compaction", encrypted_content: "sealed-by-upstream" }],
      usage: { input_tokens: 9, output_tokens: 1, total_tokens: 10 },
    };
    api.native.queue({ headers: JSON_TYPE, body: JSON.stringify(compaction) });
    const ask = { role: "user", content: "compact it" };
    const compacted = await fetch(`${fx.gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.acme.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "n1", previous_response_id: first.id, input: [ask], stream: true }),
    });
    expect([compacted.status, await compacted.json()]).toEqual([200, compaction]);
    const up = api.native.requests.at(-1);
    expect(up?.path).toBe("/v1/responses/compact");
    // The upstream never held the translated turn: it goes inlined, without the gateway's ids.
    expect(JSON.parse(up?.text ?? "{}")).toEqual({
      model: "up-n1",
      input: [{ type: "message", role: "user", content: "remember 42" }, ...first.output.map(withoutId), ask],
    });
    const unknown = await api.acme.responses.retrieve(compaction.id).catch((error: unknown) => error);
    expect((unknown as { status?: number }).status).toBe(404);
  });
});
