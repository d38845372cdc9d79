import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  auditRow,
  createKey,
  listWorkers,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A worker route is a same-dialect route like an `openai` provider's: the client's dialect
// headers and query string reach the worker's upstream, and a worker whose upstream serves the
// Responses API (asked of it at start, or `mindgw worker --responses-api`) gets Responses calls natively, under the same
// chain rules as a provider with `responses_api`.

let respUp: CannedUpstream;
let chatUp: CannedUpstream;
/** Answers every route it lacks with 200 and an error, as LM Studio does. */
let lmsUp: CannedUpstream;
let gw: GatewayProcess;
let adminKey: string;
const workers: WorkerProcess[] = [];

const JSON_TYPE = { "content-type": "application/json" };
const SSE = { "content-type": "text/event-stream" };

const CHAT_BODY =
  '{"id":"chatcmpl-1",  "object":"chat.completion","created":1,"model":"up-chat","x_vendor":{"kept":true},' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],' +
  '"usage":{"prompt_tokens":13,"completion_tokens":4,"total_tokens":17}}';
const responseBody = (id: string) =>
  `{"id":"${id}","object":"response","created_at":1,"status":"completed","model":"up-resp",` +
  '"output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello","annotations":[]}]}],' +
  '"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7},"x_vendor":1}';

const openai = () =>
  new OpenAI({
    baseURL: `${gw.url}/v1`,
    apiKey: adminKey,
    maxRetries: 0,
    defaultHeaders: { "openai-beta": "responses=experimental", "anthropic-beta": "not-for-openai" },
    defaultQuery: { beta: "true" },
  });

const lastUpstream = (up: CannedUpstream) => {
  const request = up.requests.at(-1);
  if (!request) throw new Error("the upstream got no request");
  return request;
};

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: (_noFake, { own }) => {
    respUp = own(startCannedUpstream());
    chatUp = own(startCannedUpstream());
    lmsUp = own(startCannedUpstream());
    return {
      models: [
        { name: "resp", routes: [{ provider: "workers", model: "up-resp" }] },
        { name: "chat", routes: [{ provider: "workers", model: "up-chat" }] },
        { name: "lms", routes: [{ provider: "workers", model: "up-lms" }] },
      ],
      routing: { retries: 0 },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  adminKey = gw.adminKey ?? "";
  const token = await createKey(gw.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
  // Each worker asks its upstream whether it serves /v1/responses (an empty POST) unless a flag
  // says: respUp refuses the empty request as a Responses server does (400), chatUp has no such
  // endpoint (404), lmsUp answers 200 with an error (LM Studio's unknown route), and wf is told by
  // its flag and asks nothing.
  respUp.queue({ status: 400, headers: JSON_TYPE, body: '{"error":{"message":"model is required"}}' });
  chatUp.queue({ status: 404, headers: JSON_TYPE, body: '{"error":{"message":"Not Found"}}' });
  lmsUp.queue({
    headers: JSON_TYPE,
    body: '{"error":"Unexpected endpoint or method. (POST /v1/responses)"}',
  });
  workers.push(
    spawnWorker({ gateway: gw.url, token, upstream: `${respUp.url}/v1`, name: "wr", models: ["up-resp"] }),
    spawnWorker({ gateway: gw.url, token, upstream: `${chatUp.url}/v1`, name: "wc", models: ["up-chat"] }),
    spawnWorker({ gateway: gw.url, token, upstream: `${lmsUp.url}/v1`, name: "wl", models: ["up-lms"] }),
    spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${chatUp.url}/v1`,
      name: "wf",
      models: ["up-forced"],
      args: ["--responses-api"],
    }),
  );
  fx.defer(async () => {
    for (const worker of workers) await worker.stop("SIGKILL");
  });
  await waitForWorkers(gw.url, adminKey, ["wc", "wf", "wl", "wr"]);
}, 60_000);

describe("a worker route passes the client's dialect on", () => {
  test("the allow-listed dialect headers and the query string reach the worker's upstream", async () => {
    chatUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const response = await openai()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
      .asResponse();
    expect(await response.text()).toBe(CHAT_BODY);
    const upstream = lastUpstream(chatUp);
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(upstream.query).toBe("?beta=true");
    expect(upstream.headers["openai-beta"]).toBe("responses=experimental");
    // Only the OpenAI dialect's list applies to an OpenAI call; the gateway's key never leaves.
    expect(upstream.headers["anthropic-beta"]).toBeUndefined();
    expect(upstream.headers.authorization).toBeUndefined();
  });

  test("the body reaches the worker's upstream as the client's bytes, only model replaced", async () => {
    chatUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const sent =
      '{ "model" : "chat",\n  "messages": [ {"content":"hi é","role":"user"} ],\t"x_z": 1.50, "x_a": {"b":1,"a":2} }';
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: sent,
    });
    expect(await response.text()).toBe(CHAT_BODY);
    expect(lastUpstream(chatUp).text).toBe(sent.replace('"chat"', '"up-chat"'));
  });

  test("workers announce the Responses API as their upstream answered; the admin API shows which", async () => {
    const listed = (await listWorkers(gw.url, adminKey)) as { name: string; responsesApi?: boolean }[];
    expect(listed.find((w) => w.name === "wr")?.responsesApi).toBe(true);
    expect(listed.find((w) => w.name === "wc")?.responsesApi).toBeUndefined();
    expect(listed.find((w) => w.name === "wl")?.responsesApi).toBeUndefined();
    expect(listed.find((w) => w.name === "wf")?.responsesApi).toBe(true);
    // One probe each, an empty JSON object; the forced worker sent none.
    for (const up of [respUp, chatUp])
      expect(up.requests[0]).toMatchObject({ method: "POST", path: "/v1/responses", text: "{}" });
    expect(chatUp.requests.filter((r) => r.path === "/v1/responses")).toHaveLength(1);
    const [wr, wc, wl] = workers;
    expect(`${wr?.stdout.all}${wr?.stderr.all}`).toContain("the upstream serves the Responses API");
    for (const worker of [wc, wl])
      expect(`${worker?.stdout.all}${worker?.stderr.all}`).toContain(
        "the upstream does not serve the Responses API",
      );
  });
});

describe("a worker started before its model server is up", () => {
  test("asks again while connected, and once the upstream serves /v1/responses announces it on its connection", async () => {
    const lateUp = startCannedUpstream();
    fx.deferTest(() => lateUp.stop());
    // The first probe finds a server still loading (503: says nothing), the next one a Responses server.
    lateUp.queue(
      { status: 503, headers: JSON_TYPE, body: '{"error":{"message":"model loading"}}' },
      { status: 400, headers: JSON_TYPE, body: '{"error":{"message":"model is required"}}' },
    );
    const token = await createKey(gw.url, adminKey, { name: "late-fleet", role: "worker", models: ["*"] });
    const late = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${lateUp.url}/v1`,
      name: "wlate",
      models: ["up-late"],
    });
    fx.deferTest(() => late.stop("SIGKILL"));
    type Listed = { name: string; responsesApi?: boolean };
    await waitFor(
      "wlate announcing the Responses API",
      async () =>
        ((await listWorkers(gw.url, adminKey)) as Listed[]).find((w) => w.name === "wlate")?.responsesApi,
      20_000,
    );
    // Its log lines came before the gateway heard it; the pipe may bring them a moment after.
    const lines = [
      "could not tell whether the upstream serves the Responses API: it answered 503; asking again",
      "the upstream serves the Responses API",
      "announced the Responses API to the gateway",
    ];
    await waitFor(
      "the worker's log lines",
      () => lines.every((line) => `${late.stdout.all}${late.stderr.all}`.includes(line)) || undefined,
    );
    expect(lateUp.requests.filter((r) => r.path === "/v1/responses")).toHaveLength(2);
  });
});

describe("the Responses API through a worker", () => {
  test("a worker that announced it gets the call natively: body as sent, answer byte for byte", async () => {
    respUp.queue({ headers: JSON_TYPE, body: responseBody("resp_w1") });
    const tools = [
      { type: "namespace", name: "shell", tools: [{ type: "function", name: "run", parameters: {} }] },
      { type: "web_search" },
    ];
    const response = await openai()
      .responses.create({ model: "resp", input: "hi", ...({ tools, x_unknown: 1 } as object) })
      .asResponse();
    expect(await response.text()).toBe(responseBody("resp_w1"));
    const upstream = lastUpstream(respUp);
    expect(upstream.path).toBe("/v1/responses");
    expect(upstream.query).toBe("?beta=true");
    expect(upstream.headers["openai-beta"]).toBe("responses=experimental");
    expect(JSON.parse(upstream.text)).toMatchObject({ model: "up-resp", tools, x_unknown: 1 });
    const row = await auditRow(gw.url, adminKey, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, route: "worker:wr" });
    // Stored with its holder, the worker: reads and deletes go through the tunnel to its upstream.
    respUp.queue({ headers: JSON_TYPE, body: responseBody("resp_w1") });
    const read = await openai().responses.retrieve("resp_w1").asResponse();
    expect(await read.text()).toBe(responseBody("resp_w1"));
    expect(lastUpstream(respUp)).toMatchObject({
      method: "GET",
      path: "/v1/responses/resp_w1",
      query: "?beta=true",
    });
    const items = '{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}';
    respUp.queue({ headers: JSON_TYPE, body: items });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
    const listed = await fetch(`${gw.url}/v1/responses/resp_w1/input_items?order=asc`, {
      headers: { authorization: `Bearer ${adminKey}`, traceparent, tracestate },
    });
    expect(await listed.text()).toBe(items);
    expect(lastUpstream(respUp)).toMatchObject({
      method: "GET",
      path: "/v1/responses/resp_w1/input_items",
      query: "?order=asc",
    });
    // Under the id the client was answered with (and the audit row has), the caller's trace context passed on.
    expect(lastUpstream(respUp).headers["x-request-id"]).toBe(listed.headers.get("x-request-id") ?? "none");
    expect(lastUpstream(respUp).headers.traceparent).toBe(traceparent);
    expect(lastUpstream(respUp).headers.tracestate).toBe(tracestate);
    respUp.queue({ headers: JSON_TYPE, body: '{"id":"resp_w1","object":"response","deleted":true}' });
    const deleted = await fetch(`${gw.url}/v1/responses/resp_w1`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(await deleted.json()).toEqual({ id: "resp_w1", object: "response", deleted: true });
    expect(lastUpstream(respUp)).toMatchObject({ method: "DELETE", path: "/v1/responses/resp_w1", text: "" });
    const gone = await fetch(`${gw.url}/v1/responses/resp_w1`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(gone.status).toBe(404);
  });

  test("a chain stays on the worker that holds it: previous_response_id goes as sent", async () => {
    respUp.queue({ headers: JSON_TYPE, body: responseBody("resp_w2") });
    await openai().responses.create({ model: "resp", input: "first" });
    respUp.queue({ headers: JSON_TYPE, body: responseBody("resp_w3") });
    const next = await openai().responses.create({
      model: "resp",
      input: "again",
      previous_response_id: "resp_w2",
    });
    expect(next.id).toBe("resp_w3");
    expect(JSON.parse(lastUpstream(respUp).text)).toMatchObject({
      previous_response_id: "resp_w2",
      input: "again",
    });
  });

  test("a stream comes back byte for byte", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_w4","object":"response","status":"in_progress","output":[],"usage":null}}\n\n',
      `event: response.completed\ndata: {"type":"response.completed","sequence_number":1,"response":${responseBody("resp_w4")}}\n\n`,
    ];
    respUp.queue({ headers: SSE, body: events });
    const raw = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "resp", input: "hi", stream: true }),
    });
    expect(await raw.text()).toBe(events.join(""));
  });

  test("/v1/responses/compact goes to the worker's upstream as sent", async () => {
    const compacted =
      '{"id":"resp_c","object":"response.compaction","output":[{"type":"compaction","encrypted_content":"xyz"}],"usage":{"input_tokens":9,"output_tokens":1,"total_tokens":10}}';
    respUp.queue({ headers: JSON_TYPE, body: compacted });
    const response = await fetch(`${gw.url}/v1/responses/compact`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: '{"model":"resp","input":[{"type":"message","role":"user","content":"long talk"}]}',
    });
    expect(await response.text()).toBe(compacted);
    expect(lastUpstream(respUp).path).toBe("/v1/responses/compact");
  });

  test("an upstream that answers an unknown route with 200 and an error (LM Studio) gets Responses calls as chat", async () => {
    lmsUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const answer = await openai().responses.create({ model: "lms", input: "hi" });
    expect(answer.output_text).toBe("hello");
    expect(lastUpstream(lmsUp).path).toBe("/v1/chat/completions");
  });

  test("a worker that did not announce it gets chat completions; a chain held by another worker moves expanded", async () => {
    respUp.queue({ headers: JSON_TYPE, body: responseBody("resp_w5") });
    await openai().responses.create({ model: "resp", input: "remember 7" });
    chatUp.queue({ headers: JSON_TYPE, body: CHAT_BODY });
    const moved = await openai().responses.create({
      model: "chat",
      input: "which number?",
      previous_response_id: "resp_w5",
    });
    expect(moved.output_text).toBe("hello");
    const upstream = lastUpstream(chatUp);
    expect(upstream.path).toBe("/v1/chat/completions");
    const chat = JSON.parse(upstream.text) as { messages: { role: string; content: unknown }[] };
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(chat.messages[0]?.content).toBe("remember 7");
  });
});
