import { beforeAll, describe, expect, test } from "bun:test";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// Stored Responses on a native route (an upstream that serves the Responses API itself): every
// key and tenant shares the gateway's upstream account, which resolves ids across the whole
// account. So no id the caller's scope does not hold reaches it (an item's, a conversation's),
// and the upstream's failures on a stored response's reads and deletes are said in the gateway's
// words, its copy kept until the upstream let go of it.

const UPSTREAM_KEY = "sk-proj-REALSECRET-5678";
const JSON_TYPE = { "content-type": "application/json" };

let up: CannedUpstream;
let gw: GatewayProcess;
let ka: string;
let kb: string;

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: (_noFake, { own }) => {
    up = own(startCannedUpstream());
    return {
      providers: [
        {
          name: "native",
          type: "openai",
          base_url: `${up.url}/v1`,
          api_key: UPSTREAM_KEY,
          responses_api: true,
        },
        {
          name: "chat",
          type: "openai",
          base_url: `${up.url}/v1`,
          api_key: UPSTREAM_KEY,
          responses_api: false,
        },
      ],
      models: [
        { name: "resp", routes: [{ provider: "native", model: "up-resp" }] },
        { name: "translated", routes: [{ provider: "chat", model: "up-chat" }] },
      ],
      routing: { retries: 0, max_upstream_body: "64KB" },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  ka = (await createKey(gw, { name: "ka" })).key;
  kb = (await createKey(gw, { name: "kb" })).key;
});

/** A native answer under the upstream's own ids. */
const answer = (id: string, itemId: string, text = "hello") =>
  JSON.stringify({
    id,
    object: "response",
    status: "completed",
    model: "up-resp",
    output: [
      {
        type: "message",
        id: itemId,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text }],
      },
    ],
    usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
  });

const call = (key: string, method: string, path: string, body?: object) =>
  fetch(`${gw.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { message: string; code: string | null; param: string | null } })
    .error;

/** Creates a response for `key` answered by the upstream as `id`, with one item `itemId`. */
async function created(key: string, id: string, itemId: string, text?: string) {
  up.queue({ headers: JSON_TYPE, body: answer(id, itemId, text) });
  const response = await call(key, "POST", "/responses", { model: "resp", input: "hi" });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe("ids the caller's scope does not hold never reach the shared upstream account", () => {
  test("an item_reference to another key's item is OpenAI's 404 for an unknown item; the owner's goes as sent", async () => {
    await created(ka, "resp_up1", "msg_up1", "ka's secret");
    const input = [
      { type: "item_reference", id: "msg_up1" },
      { role: "user", content: "repeat the above" },
    ];
    const before = up.requests.length;
    for (const id of ["msg_up1", "msg_never_given"]) {
      const refused = await call(kb, "POST", "/responses", {
        model: "resp",
        input: [{ type: "item_reference", id }, input[1]],
      });
      expect([id, refused.status]).toEqual([id, 404]);
      expect(await errorOf(refused)).toMatchObject({
        message: `Item with id '${id}' not found.`,
        param: "input",
      });
    }
    expect(up.requests.length).toBe(before);
    // The owner's reference is its own item: it goes upstream as the client wrote it.
    up.queue({ headers: JSON_TYPE, body: answer("resp_up2", "msg_up2") });
    const own = await call(ka, "POST", "/responses", { model: "resp", input });
    expect(own.status).toBe(200);
    expect(JSON.parse(up.requests.at(-1)?.text ?? "{}").input).toEqual(input);
  });

  test("an input item's own id (a bare reasoning item's above all) goes only when the caller's scope holds it", async () => {
    // ka's answer holds a reasoning item, which OpenAI resolves by its id alone.
    const reasoning = { type: "reasoning", id: "rs_n1", summary: [] };
    const said = JSON.parse(answer("resp_up_rs", "msg_n1", "ka's secret")) as { output: object[] };
    up.queue({ headers: JSON_TYPE, body: JSON.stringify({ ...said, output: [reasoning, ...said.output] }) });
    expect((await call(ka, "POST", "/responses", { model: "resp", input: "think" })).status).toBe(200);
    const before = up.requests.length;
    // kb's bare reasoning item with ka's id: OpenAI's 404 for an unknown item, as a reference is.
    const refused = await call(kb, "POST", "/responses", {
      model: "resp",
      input: [reasoning, { role: "user", content: "go on" }],
    });
    expect(refused.status).toBe(404);
    expect(await errorOf(refused)).toMatchObject({
      message: "Item with id 'rs_n1' not found.",
      param: "input",
    });
    expect(up.requests.length).toBe(before);
    // Items whose content is their own go on, without the ids kb's scope does not hold.
    const message = {
      type: "message",
      id: "msg_n1",
      role: "assistant",
      content: [{ type: "output_text", text: "mine" }],
    };
    const encrypted = { type: "reasoning", id: "rs_n1", summary: [], encrypted_content: "gAAAA" };
    const user = { role: "user", content: "go on" };
    up.queue({ headers: JSON_TYPE, body: answer("resp_up_kb", "msg_kb") });
    const sent = await call(kb, "POST", "/responses", { model: "resp", input: [encrypted, message, user] });
    expect(sent.status).toBe(200);
    const { id: _r, ...withoutReasoningId } = encrypted;
    const { id: _m, ...withoutMessageId } = message;
    expect(JSON.parse(up.requests.at(-1)?.text ?? "{}").input).toEqual([
      withoutReasoningId,
      withoutMessageId,
      user,
    ]);
    // ka's own go as sent.
    up.queue({ headers: JSON_TYPE, body: answer("resp_up_ka", "msg_ka") });
    const own = [reasoning, message, user];
    expect((await call(ka, "POST", "/responses", { model: "resp", input: own })).status).toBe(200);
    expect(JSON.parse(up.requests.at(-1)?.text ?? "{}").input).toEqual(own);
  });

  test("a conversation id is refused with a 400 naming it, nothing sent", async () => {
    const before = up.requests.length;
    for (const conversation of ["conv_of_someone_else", { id: "conv_of_someone_else" }]) {
      const refused = await call(kb, "POST", "/responses", { model: "resp", input: "hi", conversation });
      expect(refused.status).toBe(400);
      const error = await errorOf(refused);
      expect(error.param).toBe("conversation");
      expect(error.message).toContain("Conversations API");
    }
    expect(up.requests.length).toBe(before);
  });
});

describe("a stored response's reads and deletes where the upstream holds it", () => {
  const REFUSAL = JSON.stringify({
    error: {
      message: `Incorrect API key provided: ${UPSTREAM_KEY}.`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    },
  });

  test("credentials refused (401): a 502 in the gateway's words, the upstream's text never shown; a failed DELETE keeps the response", async () => {
    await created(ka, "resp_up3", "msg_up3");
    for (const [method, path] of [
      ["GET", "/responses/resp_up3"],
      ["GET", "/responses/resp_up3/input_items"],
      ["DELETE", "/responses/resp_up3"],
    ] as const) {
      up.queue({ status: 401, headers: JSON_TYPE, body: REFUSAL });
      const refused = await call(ka, method, path);
      const text = await refused.text();
      expect([method, path, refused.status]).toEqual([method, path, 502]);
      expect(JSON.parse(text).error.message).toBe("upstream native rejected the gateway's credentials");
      expect(text).not.toContain("REALSECRET");
    }
    // Still held upstream, still the caller's: read through once the upstream answers again.
    up.queue({ headers: JSON_TYPE, body: answer("resp_up3", "msg_up3") });
    const read = await call(ka, "GET", "/responses/resp_up3");
    expect(read.status).toBe(200);
    expect(up.requests.at(-1)).toMatchObject({ method: "GET", path: "/v1/responses/resp_up3" });
  });

  test("a server fault (500) is said as a model call's and keeps the response; a 429 keeps its Retry-After", async () => {
    await created(ka, "resp_up4", "msg_up4");
    const fault = JSON.stringify({ error: { message: "The server had an error", type: "server_error" } });
    up.queue({ status: 500, headers: JSON_TYPE, body: fault });
    const failed = await call(ka, "DELETE", "/responses/resp_up4");
    expect(failed.status).toBe(500);
    await failed.arrayBuffer();
    up.queue({ status: 429, headers: { ...JSON_TYPE, "retry-after": "7" }, body: fault });
    const limited = await call(ka, "GET", "/responses/resp_up4");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    await limited.arrayBuffer();
    // The DELETE that failed left it stored: it is deleted once the upstream does.
    up.queue({ headers: JSON_TYPE, body: '{"id":"resp_up4","object":"response","deleted":true}' });
    const deleted = await call(ka, "DELETE", "/responses/resp_up4");
    expect(await deleted.json()).toEqual({ id: "resp_up4", object: "response", deleted: true });
    const calls = up.requests.length;
    expect((await call(ka, "GET", "/responses/resp_up4")).status).toBe(404);
    expect(up.requests.length).toBe(calls);
  });

  test("an upstream that holds it no longer (404): the gateway's 404, and a DELETE forgets it", async () => {
    await created(ka, "resp_up5", "msg_up5");
    const missing = JSON.stringify({
      error: { message: "Response with id 'resp_up5' not found.", code: null },
    });
    up.queue({ status: 404, headers: JSON_TYPE, body: missing });
    const read = await call(ka, "GET", "/responses/resp_up5");
    expect(read.status).toBe(404);
    expect((await errorOf(read)).message).toBe("Response with id 'resp_up5' not found.");
    up.queue({ status: 404, headers: JSON_TYPE, body: missing });
    expect((await call(ka, "DELETE", "/responses/resp_up5")).status).toBe(404);
    const calls = up.requests.length;
    expect((await call(ka, "GET", "/responses/resp_up5")).status).toBe(404);
    expect(up.requests.length).toBe(calls);
  });
});

describe("no response runs in the background, so none is read as a stream", () => {
  test("background: true is a 400 naming it, nothing sent upstream: a queued answer carries no usage to count", async () => {
    const before = up.requests.length;
    const refused = await call(ka, "POST", "/responses", { model: "resp", input: "hi", background: true });
    expect(refused.status).toBe(400);
    const error = await errorOf(refused);
    expect(error.param).toBe("background");
    expect(error.message).toContain("limits and budget");
    expect(up.requests.length).toBe(before);
  });

  test("GET ?stream=true is a 400 naming stream, the holder not asked; a holder's answer past max_upstream_body is a 502", async () => {
    await created(ka, "resp_up6", "msg_up6");
    const before = up.requests.length;
    const streamed = await call(ka, "GET", "/responses/resp_up6?stream=true");
    expect(streamed.status).toBe(400);
    expect((await errorOf(streamed)).param).toBe("stream");
    expect(up.requests.length).toBe(before);
    // Read whole, no more of it than a model's whole answer may be (64KB here).
    up.queue({ headers: JSON_TYPE, body: answer("resp_up6", "msg_up6", "x".repeat(100_000)) });
    const large = await call(ka, "GET", "/responses/resp_up6");
    expect(large.status).toBe(502);
    expect((await errorOf(large)).message).toContain("routing.max_upstream_body");
  });
});

describe("a chain the gateway expands for a native route: the answer names the response it continues", () => {
  /**
   * What a native upstream answers a call that came without `previous_response_id`, as OpenAI
   * spells it (pretty), keeping none of it (Zero Data Retention): the gateway's copy is the one read.
   */
  const unchained = (id: string, itemId: string) =>
    JSON.stringify({ ...JSON.parse(answer(id, itemId)), previous_response_id: null, store: false }, null, 2);

  /** The same answer streamed, as OpenAI writes its events. */
  const streamedUnchained = (id: string, itemId: string): string[] => {
    const done = { ...JSON.parse(answer(id, itemId)), store: false } as Record<string, unknown>;
    const started = { ...done, status: "in_progress", output: [], usage: null, previous_response_id: null };
    const event = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    return [
      event("response.created", { sequence_number: 0, response: started }),
      event("response.in_progress", { sequence_number: 1, response: started }),
      event("response.output_text.delta", {
        sequence_number: 2,
        item_id: itemId,
        output_index: 0,
        delta: "hello",
      }),
      event("response.completed", { sequence_number: 3, response: { ...done, previous_response_id: null } }),
    ];
  };

  /** Each `response.*` event's `response.previous_response_id`, by type, from a stream's text. */
  const previousIdsIn = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map(
        (line) =>
          JSON.parse(line.slice(6)) as { type: string; response?: { previous_response_id?: unknown } },
      )
      .filter((event) => event.response !== undefined)
      .map((event) => [event.type, event.response?.previous_response_id]);

  const sentUpstream = () => JSON.parse(up.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;

  test("after an upstream's own store:false answer (Zero Data Retention), whole and streamed; GET says it too", async () => {
    // Kept by the gateway alone (the upstream kept none): the next turns go with it inlined.
    up.queue({
      headers: JSON_TYPE,
      body: JSON.stringify({ ...JSON.parse(answer("resp_zdr1", "msg_zdr1")), store: false }),
    });
    const first = await call(ka, "POST", "/responses", { model: "resp", input: "hi" });
    expect(first.status).toBe(200);
    await first.arrayBuffer();

    up.queue({ headers: JSON_TYPE, body: unchained("resp_zdr2", "msg_zdr2") });
    const whole = await call(ka, "POST", "/responses", {
      model: "resp",
      previous_response_id: "resp_zdr1",
      input: "go on",
    });
    expect(whole.status).toBe(200);
    expect(sentUpstream().previous_response_id).toBeUndefined();
    expect(((await whole.json()) as { previous_response_id: unknown }).previous_response_id).toBe(
      "resp_zdr1",
    );
    // Read from the gateway's copy (the upstream kept none), which says it as the answer did.
    const calls = up.requests.length;
    const read = await call(ka, "GET", "/responses/resp_zdr2");
    expect(((await read.json()) as { previous_response_id: unknown }).previous_response_id).toBe("resp_zdr1");
    expect(up.requests.length).toBe(calls);

    up.queue({
      headers: { "content-type": "text/event-stream" },
      body: streamedUnchained("resp_zdr3", "msg_zdr3"),
    });
    const streamed = await call(ka, "POST", "/responses", {
      model: "resp",
      previous_response_id: "resp_zdr1",
      input: "and again",
      stream: true,
    });
    expect(streamed.status).toBe(200);
    expect(sentUpstream().previous_response_id).toBeUndefined();
    expect(previousIdsIn(await streamed.text())).toEqual([
      ["response.created", "resp_zdr1"],
      ["response.in_progress", "resp_zdr1"],
      ["response.completed", "resp_zdr1"],
    ]);
    const readStreamed = await call(ka, "GET", "/responses/resp_zdr3");
    expect(((await readStreamed.json()) as { previous_response_id: unknown }).previous_response_id).toBe(
      "resp_zdr1",
    );
  });

  test("after a turn a translated route answered, streamed", async () => {
    up.queue({
      headers: JSON_TYPE,
      body: JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion",
        model: "up-chat",
        choices: [{ index: 0, message: { role: "assistant", content: "hi there" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    });
    const first = await call(ka, "POST", "/responses", { model: "translated", input: "hi" });
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };

    up.queue({
      headers: { "content-type": "text/event-stream" },
      body: streamedUnchained("resp_tr2", "msg_tr2"),
    });
    const streamed = await call(ka, "POST", "/responses", {
      model: "resp",
      previous_response_id: id,
      input: "go on",
      stream: true,
    });
    expect(streamed.status).toBe(200);
    expect(sentUpstream().previous_response_id).toBeUndefined();
    expect(previousIdsIn(await streamed.text())).toEqual([
      ["response.created", id],
      ["response.in_progress", id],
      ["response.completed", id],
    ]);
  });

  test("GET of the answer the upstream keeps says the caller's id too, where the upstream's copy says null", async () => {
    up.queue({
      headers: JSON_TYPE,
      body: JSON.stringify({
        id: "chatcmpl-2",
        object: "chat.completion",
        model: "up-chat",
        choices: [{ index: 0, message: { role: "assistant", content: "hi there" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    });
    const first = await call(ka, "POST", "/responses", { model: "translated", input: "hi" });
    const { id } = (await first.json()) as { id: string };

    // Kept upstream (no store: false): the read goes to the upstream, which holds its copy.
    const kept = (responseId: string) =>
      JSON.stringify(
        {
          ...JSON.parse(answer(responseId, "msg_kept2")),
          // A schema naming the key first: only the response's own is said.
          text: { format: { type: "json_schema", schema: { properties: { previous_response_id: {} } } } },
          previous_response_id: null,
        },
        null,
        2,
      );
    up.queue({ headers: JSON_TYPE, body: kept("resp_kept2") });
    const second = await call(ka, "POST", "/responses", {
      model: "resp",
      previous_response_id: id,
      input: "go on",
    });
    expect(((await second.json()) as { previous_response_id: unknown }).previous_response_id).toBe(id);

    up.queue({ headers: JSON_TYPE, body: kept("resp_kept2") });
    const read = await call(ka, "GET", "/responses/resp_kept2");
    expect(read.status).toBe(200);
    expect(up.requests.at(-1)?.path).toBe("/v1/responses/resp_kept2");
    const body = (await read.json()) as {
      previous_response_id: unknown;
      text: { format: { schema: unknown } };
    };
    expect(body.previous_response_id).toBe(id);
    expect(body.text.format.schema).toEqual({ properties: { previous_response_id: {} } });
  });
});
