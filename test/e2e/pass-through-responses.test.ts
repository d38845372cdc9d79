import { describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { CHAT_BODY, OPENAI_KEY, passThroughFixture, SSE } from "./harness/pass-through-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Same dialect in and out: the request goes upstream as the client sent it (only `model`
// spliced), with the dialect's headers and the query string; the answer comes back byte for
// byte — bodies, streams and error bodies alike. The upstream here answers canned bytes with
// unusual spacing and unknown fields, so any re-encoding on the way would show
// (harness/pass-through-fixture.ts). Here the Responses API, split from pass-through.test.ts.

const pt = passThroughFixture();
const { openai, lastSent, lastUpstream } = pt;

describe("the Responses API to an upstream that serves it", () => {
  const responseBody = (id: string) =>
    `{"id":"${id}","object":"response","created_at":1,"status":"completed","model":"up-resp",` +
    '"output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello","annotations":[]}]}],' +
    '"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7},"x_vendor":1}';
  const JSON_TYPE = { "content-type": "application/json" };

  test("POST passes through untranslated (unknown tool types kept); the answer byte for byte, then read where it is held", async () => {
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up1") });
    const tools = [
      { type: "namespace", name: "shell", tools: [{ type: "function", name: "run", parameters: {} }] },
      {
        type: "custom",
        name: "apply_patch",
        format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
      },
      { type: "web_search" },
    ];
    const response = await openai()
      .responses.create({
        model: "resp",
        input: [{ type: "message", role: "user", content: "hi" }],
        reasoning: { effort: "low" },
        ...({ tools, x_unknown: true } as object),
      })
      .asResponse();
    expect(await response.text()).toBe(responseBody("resp_up1"));
    const upstream = lastUpstream(pt.responsesUp);
    expect(upstream.path).toBe("/v1/responses");
    expect(upstream.text).toBe(lastSent().replace('"model":"resp"', '"model":"up-resp"'));
    expect(JSON.parse(upstream.text).tools).toEqual(tools);
    const row = await auditRow(pt.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 5, outputTokens: 2 });

    // The gateway stored it with its holder: reads and deletes go to that upstream.
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up1") });
    const read = await openai().responses.retrieve("resp_up1").asResponse();
    expect(await read.text()).toBe(responseBody("resp_up1"));
    expect(lastUpstream(pt.responsesUp)).toMatchObject({ method: "GET", path: "/v1/responses/resp_up1" });
    expect(lastUpstream(pt.responsesUp).headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const items = '{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}';
    pt.responsesUp.queue({ headers: JSON_TYPE, body: items });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
    const listed = await fetch(`${pt.gw.url}/v1/responses/resp_up1/input_items?order=asc`, {
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, traceparent, tracestate },
    });
    expect(await listed.text()).toBe(items);
    expect(lastUpstream(pt.responsesUp)).toMatchObject({
      path: "/v1/responses/resp_up1/input_items",
      query: "?order=asc",
    });
    // Under the id the client was answered with (and the audit row has), the caller's trace context passed on.
    expect(lastUpstream(pt.responsesUp).headers["x-request-id"]).toBe(
      listed.headers.get("x-request-id") ?? "none",
    );
    expect(lastUpstream(pt.responsesUp).headers.traceparent).toBe(traceparent);
    expect(lastUpstream(pt.responsesUp).headers.tracestate).toBe(tracestate);
  });

  test("a chain stays on the provider that holds it: previous_response_id goes as sent", async () => {
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up2") });
    await openai().responses.create({ model: "resp", input: "first" });
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up3") });
    const next = await openai().responses.create({
      model: "resp",
      input: "again",
      previous_response_id: "resp_up2",
    });
    expect(next.id).toBe("resp_up3");
    const upstream = JSON.parse(lastUpstream(pt.responsesUp).text);
    expect(upstream).toMatchObject({ previous_response_id: "resp_up2", input: "again", model: "up-resp" });
    // Tenants share the gateway's upstream account: an id the gateway did not give this caller's
    // tenant never reaches the upstream, even on a native route.
    const calls = pt.responsesUp.requests.length;
    const missing = await openaiFailure(
      openai().responses.create({ model: "resp", input: "x", previous_response_id: "resp_zz" }),
    );
    expect(missing.status).toBe(400);
    expect(missing.code).toBe("previous_response_not_found");
    expect(missing.param).toBe("previous_response_id");
    expect(pt.responsesUp.requests.length).toBe(calls);
  });

  test("a chain built by translation moves here expanded from the gateway's store", async () => {
    // `chat` is a chat-only route: the Responses call is translated, and the gateway stores it.
    pt.openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const first = await openai().responses.create({ model: "chat", input: "remember 42" });
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up4") });
    await openai().responses.create({ model: "resp", input: "what number?", previous_response_id: first.id });
    const upstream = JSON.parse(lastUpstream(pt.responsesUp).text) as {
      input: { content: unknown }[];
      previous_response_id?: string;
    };
    expect(upstream.previous_response_id).toBeUndefined();
    expect(upstream.input.map((item) => item.content)).toMatchObject([
      "remember 42",
      [{ type: "output_text", text: "hello" }],
      "what number?",
    ]);
  });

  test("a chain held upstream moves to a translated route expanded from the gateway's copy", async () => {
    pt.responsesUp.queue({ headers: JSON_TYPE, body: responseBody("resp_up6") });
    await openai().responses.create({ model: "resp", input: "remember 7" });
    pt.openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    await openai().responses.create({
      model: "chat",
      input: "which number?",
      previous_response_id: "resp_up6",
    });
    const chat = JSON.parse(lastUpstream(pt.openaiUp).text) as {
      messages: { role: string; content: unknown }[];
    };
    expect(lastUpstream(pt.openaiUp).path).toBe("/v1/chat/completions");
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(chat.messages[0]?.content).toBe("remember 7");
    expect(chat.messages[2]?.content).toBe("which number?");
  });

  test("a stream comes back byte for byte; its final response is stored under the upstream's id", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up5","object":"response","status":"in_progress","output":[],"usage":null}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"hel"}\n\n',
      `event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":${responseBody("resp_up5")}}\n\n`,
    ];
    pt.responsesUp.queue({ headers: SSE, body: events });
    const raw = await fetch(`${pt.gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "resp", input: "hi", stream: true }),
    });
    expect(await raw.text()).toBe(events.join(""));
    const row = await auditRow(pt.gw, raw.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, inputTokens: 5, outputTokens: 2 });
    pt.responsesUp.queue({
      headers: JSON_TYPE,
      body: '{"id":"resp_up5","object":"response","deleted":true}',
    });
    const deleted = await fetch(`${pt.gw.url}/v1/responses/resp_up5`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${pt.gw.adminKey}` },
    });
    expect(await deleted.json()).toEqual({ id: "resp_up5", object: "response", deleted: true });
    expect(lastUpstream(pt.responsesUp)).toMatchObject({ method: "DELETE", path: "/v1/responses/resp_up5" });
    const gone = await fetch(`${pt.gw.url}/v1/responses/resp_up5`, {
      headers: { authorization: `Bearer ${pt.gw.adminKey}` },
    });
    expect(gone.status).toBe(404);
  });

  test("/v1/responses/compact passes through to a native route, and is answered by a summary turn elsewhere", async () => {
    const compacted =
      '{"id":"resp_c","object":"response.compaction","output":[{"type":"compaction","encrypted_content":"xyz"}],"usage":{"input_tokens":9,"output_tokens":1,"total_tokens":10}}';
    pt.responsesUp.queue({ headers: JSON_TYPE, body: compacted });
    const body = '{"model":"resp","input":[{"type":"message","role":"user","content":"long talk"}]}';
    const response = await fetch(`${pt.gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, "content-type": "application/json" },
      body,
    });
    expect(await response.text()).toBe(compacted);
    expect(lastUpstream(pt.responsesUp)).toMatchObject({
      path: "/v1/responses/compact",
      text: body.replace('"resp"', '"up-resp"'),
    });
    // A route without the Responses API: the model is asked for a summary turn, which comes back
    // as the one `compaction` item, and reads back as a turn when it returns in a later input.
    pt.openaiUp.queue({
      headers: JSON_TYPE,
      body: JSON.stringify({
        id: "chatcmpl-s",
        object: "chat.completion",
        created: 7,
        model: "up-chat",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "We talked at length." },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
      }),
    });
    const translated = await fetch(`${pt.gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, "content-type": "application/json" },
      body: body.replace('"resp"', '"chat"'),
    });
    expect(translated.status).toBe(200);
    const compaction = (await translated.json()) as {
      object: string;
      output: { type: string; encrypted_content: string }[];
    };
    expect(compaction).toMatchObject({
      object: "response.compaction",
      usage: { input_tokens: 12, output_tokens: 4 },
    });
    expect(compaction.output).toHaveLength(1);
    expect(compaction.output[0]?.type).toBe("compaction");
    const summaryCall = JSON.parse(lastUpstream(pt.openaiUp).text) as {
      messages: { role: string; content: string }[];
      stream?: boolean;
    };
    expect(lastUpstream(pt.openaiUp).path).toBe("/v1/chat/completions");
    expect(summaryCall.messages[0]).toEqual({ role: "user", content: "long talk" });
    expect(summaryCall.messages.at(-1)?.content).toStartWith("Summarize the conversation so far");
    expect(summaryCall.stream).toBeUndefined();
  });

  test("a Responses call whose input ends in compaction_trigger, on a translated route: one compaction item", async () => {
    pt.openaiUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const response = await fetch(`${pt.gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${pt.gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "chat",
        input: [{ role: "user", content: "long talk" }, { type: "compaction_trigger" }],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      output: { type: string; encrypted_content: string }[];
    };
    expect(body.object).toBe("response");
    expect(body.output.map((item) => item.type)).toEqual(["compaction"]);
    const sent = JSON.parse(lastUpstream(pt.openaiUp).text) as { messages: { content: string }[] };
    expect(sent.messages.at(-1)?.content).toStartWith("Summarize the conversation so far");
  });
});
