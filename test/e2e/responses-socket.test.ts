import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import { formatReset } from "../../src/auth/reset-format.ts";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import type { FakeRequest, FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The Responses API's WebSocket mode (`GET /v1/responses` upgraded) through the compiled gateway,
// driven by the official SDK's `ResponsesWS`: each `response.create` runs as the POST it stands
// for (routed, translated, audited), its events come back as messages, and the connection's last
// response can be continued from by id with `store: false` and after `generate: false`.

type ServerEvent = OpenAI.Responses.ResponsesServerEvent;
type Seen = FakeRequest & {
  body: { messages: { role: string; content: unknown }[] } & Record<string, unknown>;
};

let fake: FakeUpstream;
let gw: GatewayProcess;
let key: string;
/**
 * An upstream serving the Responses API itself (the native route `n1`), answering what is queued;
 * as OpenAI, it refuses an input item's id it never answered with, or answered `store: false`.
 */
let native: CannedUpstream;

/** The gateway's config; `maxBody` (`server.max_body`) as a reload sets it. */
const configFor = (fakeUrl: string, maxBody?: string) => ({
  providers: [
    { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
    { name: "native", type: "openai", base_url: `${native.url}/v1`, responses_api: true },
  ],
  models: [
    { name: "m1", routes: [{ provider: "fake", model: "up-m1" }] },
    { name: "n1", routes: [{ provider: "native", model: "up-n1" }] },
  ],
  routing: { retries: 0 },
  ...(maxBody ? { server: { max_body: maxBody } } : {}),
});

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake, own }) => {
    native = own(startCannedUpstream({ resolvesItemIds: true }));
    return configFor(fake.url);
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  key = (await createKey(gw, { name: "socket-user", tenant: "acme" })).key;
});

/** A connection of the SDK's, with what it received kept in order. */
function connect(apiKey = key) {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
  const socket = new ResponsesWS(client);
  const events: ServerEvent[] = [];
  socket.on("event", (event) => events.push(event));
  // Error events come to `error` as well as `event`: kept once, from `event`.
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  return { socket, events, closed };
}

const ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Whether `event` ends its turn: a response's last event; or an `error` said before any stream
 * began (a refused turn), which carries no `sequence_number`. One said in a stream is numbered in
 * it, and its `response.failed` follows, as OpenAI fails a response that began.
 */
const ends = (event: ServerEvent) =>
  ENDS.has(event.type) || (event.type === "error" && !("sequence_number" in event));

/** Sends one turn and waits (bounded) for its last event; returns the turn's events. */
async function turn(
  connection: ReturnType<typeof connect>,
  event: OpenAI.Responses.ResponsesClientEvent,
): Promise<ServerEvent[]> {
  const from = connection.events.length;
  connection.socket.send(event);
  await waitFor("the turn's last event", () => (connection.events.slice(from).some(ends) ? true : undefined));
  return connection.events.slice(from);
}

const completed = (events: ServerEvent[]) => {
  const last = events.at(-1);
  if (last?.type !== "response.completed") throw new Error(`turn ended with ${JSON.stringify(last)}`);
  return last.response;
};
const text = (events: ServerEvent[]) =>
  events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
const upstreamCall = async (before: number) => (await fake.waitForRequest(before + 1, 10_000)) as Seen;

describe("Responses WebSocket mode", () => {
  test("a turn streams the Responses events as messages and leaves rows for the upgrade and the turn", async () => {
    const connection = connect();
    const before = fake.requests.length;
    const events = await turn(connection, { type: "response.create", model: "m1", input: "hello socket" });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["response.created", "response.output_text.delta", "response.completed"]),
    );
    expect(events[0]?.type).toBe("response.created");
    expect(text(events)).toBe("echo: hello socket");
    const response = completed(events);
    expect(response.id).toMatch(/^resp_/);
    expect(response.model).toBe("m1");
    const up = await upstreamCall(before);
    expect(up.body).toMatchObject({ model: "up-m1", stream: true });
    connection.socket.close({ code: 1000, reason: "done" });
    expect(await connection.closed).toBe(1000);
    const rows = await waitFor("the socket's rows", async () => {
      const all = await auditRecords(gw, { key: "socket-user" });
      return all.some((row) => row.frontDoor === "responses") ? all : undefined;
    });
    expect(rows.filter((row) => row.frontDoor === "responses_socket").map((row) => row.status)).toContain(
      101,
    );
    expect(rows.find((row) => row.frontDoor === "responses")).toMatchObject({
      status: 200,
      model: "m1",
      stream: true,
    });
  });

  test("store: false — the next turn continues from the connection's last response by id", async () => {
    const connection = connect();
    const first = completed(
      await turn(connection, { type: "response.create", model: "m1", input: "one", store: false }),
    );
    const before = fake.requests.length;
    const events = await turn(connection, {
      type: "response.create",
      model: "m1",
      store: false,
      previous_response_id: first.id,
      input: [{ role: "user", content: "two" }],
    });
    const second = completed(events);
    expect(second.previous_response_id).toBe(first.id);
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual([
      { role: "user", content: "one" },
      { role: "assistant", content: "echo: one" },
      { role: "user", content: "two" },
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("generate: false prepares the context without a model call; the next turn continues from it", async () => {
    const connection = connect();
    const before = fake.requests.length;
    const prepared = completed(
      await turn(connection, {
        type: "response.create",
        model: "m1",
        instructions: "Be brief.",
        input: "context first",
        store: false,
        generate: false,
      }),
    );
    expect(prepared.output).toEqual([]);
    expect(fake.requests.length).toBe(before);
    const events = await turn(connection, {
      type: "response.create",
      model: "m1",
      instructions: "Be brief.",
      store: false,
      previous_response_id: prepared.id,
      input: "then this",
    });
    expect(text(events)).toBe("echo: then this");
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "context first" },
      { role: "user", content: "then this" },
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a warm-up is admitted as its turns would be: a routed model the key may use, named on its row", async () => {
    const own = await createKey(gw, { name: "socket-warm" });
    const narrow = await createKey(gw, { name: "socket-warm-narrow", models: ["other-*"] });
    const connection = connect(own.key);
    const narrowed = connect(narrow.key);
    const before = fake.requests.length;
    // No model is a body the SDK's types refuse: sent as the JSON it is.
    const warmUp = (model?: string) =>
      ({
        type: "response.create",
        model,
        input: [],
        store: false,
        generate: false,
      }) as unknown as OpenAI.Responses.ResponsesClientEvent;
    type Refusal = { type: string; status: number; error: { code: string | null; param: string | null } };
    const refusal = async (on: ReturnType<typeof connect>, model?: string) =>
      (await turn(on, warmUp(model))).at(-1) as unknown as Refusal;
    expect(await refusal(connection, "nope")).toMatchObject({
      type: "error",
      status: 404,
      error: { code: "model_not_found" },
    });
    expect(await refusal(connection)).toMatchObject({
      type: "error",
      status: 400,
      error: { param: "model" },
    });
    // A model outside the key's list is as one that does not exist.
    expect(await refusal(narrowed, "m1")).toMatchObject({
      type: "error",
      status: 404,
      error: { code: "model_not_found" },
    });
    expect(completed(await turn(connection, warmUp("m1"))).output).toEqual([]);
    expect(fake.requests.length).toBe(before);
    const rows = await waitFor("the warm-ups' rows", async () => {
      const all = [
        ...(await auditRecords(gw, { key: "socket-warm" })),
        ...(await auditRecords(gw, { key: "socket-warm-narrow" })),
      ].filter((row) => row.frontDoor === "responses");
      return all.length >= 4 ? all : undefined;
    });
    const seen = rows.map((row) => JSON.stringify([row.status, row.model, row.route]));
    expect(seen.sort()).toEqual([
      '[200,"m1",null]',
      "[400,null,null]",
      '[404,"m1",null]',
      '[404,"nope",null]',
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
    narrowed.socket.close({ code: 1000, reason: "done" });
  });

  test("a chain begun over HTTP goes on over the socket from the store, and keeps its whole history", async () => {
    const http = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const stored = await http.responses.create({ model: "m1", input: "remember me" });
    const connection = connect();
    const second = completed(
      await turn(connection, {
        type: "response.create",
        model: "m1",
        previous_response_id: stored.id,
        input: "b",
      }),
    );
    const before = fake.requests.length;
    await turn(connection, {
      type: "response.create",
      model: "m1",
      previous_response_id: second.id,
      input: "c",
    });
    const up = await upstreamCall(before);
    expect(up.body.messages.map((m) => m.content)).toEqual([
      "remember me",
      "echo: remember me",
      "b",
      "echo: b",
      "c",
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a warm-up continues a stored chain and is stored as a POST's answer is; an unknown previous id is OpenAI's 400 previous_response_not_found", async () => {
    const http = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const stored = await http.responses.create({ model: "m1", input: "remember me" });
    const connection = connect();
    const warmUp = (previous: string) =>
      turn(connection, {
        type: "response.create",
        model: "m1",
        previous_response_id: previous,
        input: "more context",
        generate: false,
      });
    expect((await warmUp("resp_never_made")).at(-1)).toMatchObject({
      type: "error",
      status: 400,
      error: { code: "previous_response_not_found", param: "previous_response_id" },
    });
    const before = fake.requests.length;
    const warm = completed(await warmUp(stored.id));
    expect(warm.previous_response_id).toBe(stored.id);
    expect(fake.requests.length).toBe(before);
    // The warm-up's answer is in the store: another client goes on from it over HTTP.
    await http.responses.create({ model: "m1", previous_response_id: warm.id, input: "and now?" });
    const up = await upstreamCall(before);
    expect(up.body.messages.map((m) => m.content)).toEqual([
      "remember me",
      "echo: remember me",
      "more context",
      "and now?",
    ]);
    // With `store: false` it is kept on its connection only: over HTTP its id is unknown.
    const unstored = completed(
      await turn(connection, {
        type: "response.create",
        model: "m1",
        input: "not kept",
        store: false,
        generate: false,
      }),
    );
    const refused = await http.responses
      .create({ model: "m1", previous_response_id: unstored.id, input: "x" })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a turn larger than a worker's frame (1 MiB) is taken, up to server.max_body", async () => {
    const connection = connect();
    const big = `big ${"x".repeat(1536 * 1024)}`;
    const before = fake.requests.length;
    // In the instructions: the fake echoes the last user message, and an echo this long would
    // itself be an event-stream line past the gateway's bound on upstream lines.
    completed(
      await turn(connection, { type: "response.create", model: "m1", instructions: big, input: "short" }),
    );
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual([
      { role: "system", content: big },
      { role: "user", content: "short" },
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a message past server.max_body (10 MB) closes the connection with 1009", async () => {
    const connection = connect();
    let code: number | undefined;
    void connection.closed.then((closed) => {
      code = closed;
    });
    connection.socket.send({ type: "response.create", model: "m1", input: "x".repeat(11 * 1024 * 1024) });
    expect(await waitFor("the connection closed", () => code)).toBe(1009);
  });

  test("turns sent together run one after the other, in order, each its own response", async () => {
    const connection = connect();
    const from = connection.events.length;
    connection.socket.send({
      type: "response.create",
      model: "m1",
      input: "first [[fake:chunk-delay=20,chunks=4]]",
    });
    connection.socket.send({ type: "response.create", model: "m1", input: "second" });
    await waitFor("both turns' ends", () =>
      connection.events.slice(from).filter((e) => e.type === "response.completed").length === 2
        ? true
        : undefined,
    );
    const events = connection.events.slice(from);
    const ends = events.flatMap((e, i) => (e.type === "response.completed" ? [i] : []));
    const starts = events.flatMap((e, i) => (e.type === "response.created" ? [i] : []));
    // The second starts only after the first ended: no events interleave.
    expect(starts[1]).toBeGreaterThan(ends[0] ?? Number.POSITIVE_INFINITY);
    expect(text(events.slice(0, (ends[0] ?? 0) + 1))).toStartWith("echo: first");
    expect(text(events.slice((ends[0] ?? 0) + 1))).toBe("echo: second");
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("16 turns wait behind one that streams; one more is a 429 error event, the connection goes on", async () => {
    const connection = connect();
    const from = connection.events.length;
    const send = (input: string) => connection.socket.send({ type: "response.create", model: "m1", input });
    send("slow [[fake:chunk-delay=100,chunks=20]]");
    await waitFor("the first delta", () =>
      connection.events.slice(from).some((e) => e.type === "response.output_text.delta") ? true : undefined,
    );
    for (let i = 0; i < 17; i++) send(`waiting ${i}`);
    const refused = await waitFor("the refusal", () =>
      connection.events.slice(from).find((e) => e.type === "error"),
    );
    expect(refused).toMatchObject({
      status: 429,
      error: { type: "rate_limit_error", code: "rate_limited" },
    });
    expect((refused as { error: { message: string } }).error.message).toContain(
      "too many turns waiting on this connection (at most 16)",
    );
    const completedTurns = () => connection.events.slice(from).filter((e) => e.type === "response.completed");
    await waitFor("the first turn and the 16 that waited", () =>
      completedTurns().length === 17 ? true : undefined,
    );
    const texts = connection.events
      .slice(from)
      .flatMap((e) => (e.type === "response.output_text.done" ? [e.text] : []));
    expect(texts.slice(1)).toEqual(Array.from({ length: 16 }, (_, i) => `echo: waiting ${i}`));
    expect(text(await turn(connection, { type: "response.create", model: "m1", input: "after" }))).toBe(
      "echo: after",
    );
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("stream_id is echoed on every event of its turn", async () => {
    const connection = connect();
    const events = await turn(connection, {
      type: "response.create",
      model: "m1",
      input: "lane",
      stream_id: "lane-7",
    } as OpenAI.Responses.ResponsesClientEvent);
    expect(events.length).toBeGreaterThan(3);
    expect(events.every((e) => (e as { stream_id?: string }).stream_id === "lane-7")).toBe(true);
    connection.socket.close({ code: 1000, reason: "done" });
  });
});

describe("Responses WebSocket mode, stored (store: true)", () => {
  /** Each stored row's `items` length and the response it continues, as the store holds them. */
  const rows = (ids: readonly string[]) =>
    withDb(`${gw.dir}/mindgw.db`, (db) =>
      ids.map((id) => {
        const row = db
          .query<{ bytes: number; previous: string | null }, [string]>(
            "SELECT length(items) AS bytes, previous_id AS previous FROM stored_responses WHERE id = ?",
          )
          .get(id);
        if (!row) throw new Error(`${id} is not stored`);
        return row;
      }),
    );
  const http = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  /** A response's `input_items`, every page, as `[role or type, text]` pairs. */
  const listed = async (id: string) => {
    const items: [string, string][] = [];
    for await (const item of http().responses.inputItems.list(id, { limit: 100, order: "asc" })) {
      const said =
        item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")) : [];
      items.push([item.type === "message" ? item.role : item.type, said.join("")]);
    }
    return items;
  };
  const padded = (turn: number) => `turn ${String(turn).padStart(2, "0")} ${"x".repeat(2000)}`;

  test("each turn continued from the connection's last response is stored once: rows of one turn each, the chain read back whole over HTTP", async () => {
    const connection = connect();
    const ids: string[] = [];
    for (let n = 0; n < 20; n++) {
      const previous = ids.at(-1);
      const response = completed(
        await turn(connection, {
          type: "response.create",
          model: "m1",
          input: padded(n),
          ...(previous ? { previous_response_id: previous } : {}),
        }),
      );
      ids.push(response.id);
    }
    connection.socket.close({ code: 1000, reason: "done" });
    const stored = rows(ids);
    // Each row holds its own turn (2 KB in, its echo out) and names the one it continues.
    expect(stored.map((row) => row.previous)).toEqual([null, ...ids.slice(0, -1)]);
    expect(stored[19]?.bytes).toBe(stored[1]?.bytes ?? 0);
    expect(stored[19]?.bytes).toBeLessThan(6000);
    // Read back as if the turns had been POSTs: the whole conversation, in order.
    const last = ids[19] ?? "";
    const conversation = Array.from({ length: 20 }, (_, n): [string, string][] => [
      ["user", padded(n)],
      ["assistant", `echo: ${padded(n)}`],
    ]).flat();
    expect(await listed(last)).toEqual(conversation.slice(0, -1));
    expect((await http().responses.retrieve(last)).previous_response_id).toBe(ids[18] ?? "");
    const before = fake.requests.length;
    await http().responses.create({ model: "m1", previous_response_id: last, input: "over HTTP" });
    const up = await upstreamCall(before);
    expect(up.body.messages.map((m) => [m.role, m.content])).toEqual([
      ...conversation,
      ["user", "over HTTP"],
    ]);
  });

  test("a mixed chain (the socket, HTTP, the socket again) stores each turn once and reads back whole", async () => {
    const connection = connect();
    const send = async (input: string, previous?: string) =>
      completed(
        await turn(connection, {
          type: "response.create",
          model: "m1",
          input,
          ...(previous ? { previous_response_id: previous } : {}),
        }),
      ).id;
    const first = await send("one on the socket");
    const second = await send("two on the socket", first);
    const third = await http().responses.create({
      model: "m1",
      input: "three over HTTP",
      previous_response_id: second,
    });
    // From the store (the connection did not make it), then from the connection's last.
    const fourth = await send("four on the socket", third.id);
    const fifth = await send("five on the socket", fourth);
    connection.socket.close({ code: 1000, reason: "done" });
    const ids = [first, second, third.id, fourth, fifth];
    expect(rows(ids).map((row) => row.previous)).toEqual([null, ...ids.slice(0, -1)]);
    const said = ["one on the socket", "two on the socket", "three over HTTP", "four on the socket"];
    expect(await listed(fifth)).toEqual([
      ...said.flatMap((text): [string, string][] => [
        ["user", text],
        ["assistant", `echo: ${text}`],
      ]),
      ["user", "five on the socket"],
    ]);
  });

  test("a stored turn continued from one the connection kept unstored holds the conversation it was given", async () => {
    const connection = connect();
    const unstored = completed(
      await turn(connection, { type: "response.create", model: "m1", input: "kept only here", store: false }),
    );
    const stored = completed(
      await turn(connection, {
        type: "response.create",
        model: "m1",
        input: "and stored",
        previous_response_id: unstored.id,
      }),
    );
    connection.socket.close({ code: 1000, reason: "done" });
    // Nothing stored to continue: the row names none, and holds the turn before with its own.
    expect(rows([stored.id]).map((row) => row.previous)).toEqual([null]);
    expect(await listed(stored.id)).toEqual([
      ["user", "kept only here"],
      ["assistant", "echo: kept only here"],
      ["user", "and stored"],
    ]);
  });
});

describe("Responses WebSocket mode and a route serving the Responses API", () => {
  /** A native answer of `output` under the upstream's own ids, streamed as OpenAI streams one. */
  const nativeStream = (id: string, output: object[]) => {
    const response = { id, object: "response", model: "up-n1", output };
    const event = (type: string, fields: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
    const usage = { input_tokens: 5, output_tokens: 1, total_tokens: 6 };
    return {
      headers: { "content-type": "text/event-stream" },
      body: [
        event("response.created", { response: { ...response, status: "in_progress", output: [] } }),
        event("response.completed", { response: { ...response, status: "completed", usage } }),
      ],
    };
  };
  const nativeMessage = (id: string, text: string) => ({
    id,
    type: "message",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  });
  /** The input of the last request the native upstream was sent. */
  const nativeInput = () => (JSON.parse(native.requests.at(-1)?.text ?? "{}") as { input: unknown[] }).input;
  const user = (content: string) => ({ type: "message", role: "user", content });
  /** An item as it reaches an upstream that does not hold its id: without it. */
  const withoutId = ({ id: _id, ...item }: { id?: string }) => item;

  test("a conversation a chat route answered, continued from the connection on a native route: without the gateway's ids, its bare reasoning left out; the native turn's own ids kept on the next", async () => {
    const connection = connect();
    const asked = "remember 42 [[fake:reasoning=I note it.]]";
    const translated = completed(
      await turn(connection, { type: "response.create", model: "m1", input: asked, store: false }),
    );
    expect(translated.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    const said = withoutId(translated.output[1] ?? {});
    native.queue(nativeStream("resp_ws_native1", [nativeMessage("msg_ws_native1", "noted")]));
    const carried = await turn(connection, {
      type: "response.create",
      model: "n1",
      previous_response_id: translated.id,
      input: "and now?",
    });
    // The upstream refuses an id it never issued (OpenAI's 404): answered, it was sent none.
    expect(completed(carried).id).toBe("resp_ws_native1");
    expect(nativeInput()).toEqual([user(asked), said, user("and now?")]);
    // Its own answer, kept upstream (not `store: false`), goes on with its id, which it resolves.
    native.queue(nativeStream("resp_ws_native2", [nativeMessage("msg_ws_native2", "ok")]));
    const next = await turn(connection, {
      type: "response.create",
      model: "n1",
      previous_response_id: "resp_ws_native1",
      input: "go on",
    });
    expect(completed(next).id).toBe("resp_ws_native2");
    expect(nativeInput()).toEqual([
      user(asked),
      said,
      user("and now?"),
      nativeMessage("msg_ws_native1", "noted"),
      user("go on"),
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a store: false turn a native route answered, continued from the connection: its items without the ids the upstream kept nothing under, reasoning with its encrypted_content, bare reasoning left out", async () => {
    const connection = connect();
    const reasoning = (id: string, sealed?: string) => ({
      id,
      type: "reasoning",
      summary: [],
      ...(sealed ? { encrypted_content: sealed } : {}),
    });
    // Asked for its reasoning encrypted: the item carries it, and can go without its id.
    const sealed = "gAAAAB-ws-sealed-reasoning-1";
    const first = [reasoning("rs_ws_unkept1", sealed), nativeMessage("msg_ws_unkept1", "noted")];
    native.queue(nativeStream("resp_ws_unkept1", first));
    const stateless = { store: false, include: ["reasoning.encrypted_content" as const] };
    completed(
      await turn(connection, { type: "response.create", model: "n1", input: "remember 42", ...stateless }),
    );
    native.queue(
      nativeStream("resp_ws_unkept2", [reasoning("rs_ws_unkept2"), nativeMessage("msg_ws_unkept2", "42")]),
    );
    const second = await turn(connection, {
      type: "response.create",
      model: "n1",
      previous_response_id: "resp_ws_unkept1",
      input: "which number?",
      ...stateless,
    });
    // OpenAI keeps no item of a `store: false` answer: its ids are its 404, "not persisted".
    expect(completed(second).id).toBe("resp_ws_unkept2");
    expect(nativeInput()).toEqual([user("remember 42"), ...first.map(withoutId), user("which number?")]);
    // Not asked for it: the reasoning item is its id alone, left out as another model's is.
    native.queue(nativeStream("resp_ws_unkept3", [nativeMessage("msg_ws_unkept3", "ok")]));
    completed(
      await turn(connection, {
        type: "response.create",
        model: "n1",
        previous_response_id: "resp_ws_unkept2",
        input: "thanks",
        store: false,
      }),
    );
    expect(nativeInput()).toEqual([
      user("remember 42"),
      ...first.map(withoutId),
      user("which number?"),
      withoutId(nativeMessage("msg_ws_unkept2", "42")),
      user("thanks"),
    ]);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a native stream the upstream fails after it began (invalid_prompt): an error event at the status its code stands for, OpenAI's nested error and the stream's own fields both, then the upstream's response.failed, as OpenAI's WebSocket mode ends one", async () => {
    const connection = connect();
    const event = (type: string, fields: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
    const response = { id: "resp_ws_flagged", object: "response", model: "up-n1", output: [] };
    const message = {
      id: "msg_ws_flagged",
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [],
    };
    const flagged = "Invalid prompt: your prompt was flagged as potentially violating our usage policy.";
    native.queue({
      headers: { "content-type": "text/event-stream" },
      body: [
        event("response.created", { sequence_number: 0, response: { ...response, status: "in_progress" } }),
        event("response.output_item.added", { sequence_number: 1, output_index: 0, item: message }),
        event("response.output_text.delta", {
          sequence_number: 2,
          item_id: "msg_ws_flagged",
          output_index: 0,
          content_index: 0,
          delta: "Sure",
        }),
        event("error", { sequence_number: 3, code: "invalid_prompt", message: flagged, param: null }),
        event("response.failed", {
          sequence_number: 4,
          response: { ...response, status: "failed", error: { code: "invalid_prompt", message: flagged } },
        }),
      ],
    });
    const events = await turn(connection, { type: "response.create", model: "n1", input: "hi" });
    expect(events.map((e) => e.type)).toContain("response.output_text.delta");
    expect(events.at(-2)).toEqual({
      type: "error",
      status: 400,
      sequence_number: 3,
      code: "invalid_prompt",
      message: flagged,
      param: null,
      error: { type: "invalid_request_error", code: "invalid_prompt", message: flagged, param: null },
    } as unknown as ServerEvent);
    expect(events.at(-1)).toMatchObject({
      type: "response.failed",
      sequence_number: 4,
      response: {
        id: "resp_ws_flagged",
        status: "failed",
        error: { code: "invalid_prompt", message: flagged },
      },
    });
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test.each([
    ["model_not_found", "The model `up-n1` does not exist or you do not have access to it."],
    ["unauthorized", "Incorrect API key provided."],
  ])(
    "a native stream's %s, a code the gateway has too, is the route's 502 as over HTTP, not the gateway's own 404 or 401",
    async (code, said) => {
      const connection = connect();
      const event = (type: string, fields: object) =>
        `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
      const response = { id: `resp_ws_${code}`, object: "response", model: "up-n1", output: [] };
      const item = {
        id: `msg_ws_${code}`,
        type: "message",
        role: "assistant",
        status: "in_progress",
        content: [],
      };
      // Said once the answer began: relayed as it came, as it reaches an HTTP caller.
      native.queue({
        headers: { "content-type": "text/event-stream" },
        body: [
          event("response.created", { sequence_number: 0, response: { ...response, status: "in_progress" } }),
          event("response.output_item.added", { sequence_number: 1, output_index: 0, item }),
          event("error", { sequence_number: 2, code, message: said, param: null }),
        ],
      });
      const events = await turn(connection, { type: "response.create", model: "n1", input: "hi" });
      expect(events.map((e) => e.type)).toContain("response.output_item.added");
      expect(events.at(-2)).toMatchObject({
        type: "error",
        status: 502,
        sequence_number: 2,
        code,
        message: said,
        error: { type: "server_error", code, message: said },
      });
      // The upstream ended at its error: the gateway fails its response, numbered next.
      expect(events.at(-1)).toMatchObject({
        type: "response.failed",
        sequence_number: 3,
        response: { id: `resp_ws_${code}`, status: "failed" },
      });
      connection.socket.close({ code: 1000, reason: "done" });
    },
  );
});

describe("Responses WebSocket lanes (stream_id)", () => {
  type Laned = ServerEvent & { stream_id?: string };
  const completedOn = (events: Laned[], lane: string) =>
    events.filter((e) => e.type === "response.completed" && e.stream_id === lane);

  test("lanes run side by side: a quick turn on one ends while a slow one on another streams", async () => {
    const connection = connect();
    const from = connection.events.length;
    const create = (input: string, stream_id: string) =>
      connection.socket.send({
        type: "response.create",
        model: "m1",
        input,
        stream_id,
      } as OpenAI.Responses.ResponsesClientEvent);
    create("slow [[fake:chunk-delay=100,chunks=20]]", "a");
    await waitFor("lane a's first delta", () =>
      connection.events.slice(from).some((e) => e.type === "response.output_text.delta") ? true : undefined,
    );
    create("quick", "b");
    await waitFor("lane b's end", () =>
      completedOn(connection.events.slice(from) as Laned[], "b").length === 1 ? true : undefined,
    );
    // Lane a is still streaming: its end has not come.
    expect(completedOn(connection.events.slice(from) as Laned[], "a")).toHaveLength(0);
    await waitFor("lane a's end", () =>
      completedOn(connection.events.slice(from) as Laned[], "a").length === 1 ? true : undefined,
    );
    const events = connection.events.slice(from) as Laned[];
    expect(events.every((e) => e.stream_id === "a" || e.stream_id === "b")).toBe(true);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a new lane forks from another lane's last response, which stays to continue from", async () => {
    const connection = connect();
    const send = (event: object) =>
      turn(connection, {
        type: "response.create",
        model: "m1",
        store: false,
        ...event,
      } as OpenAI.Responses.ResponsesClientEvent);
    const root = completed(await send({ input: "root", stream_id: "main" }));
    const before = fake.requests.length;
    completed(await send({ input: "fork", previous_response_id: root.id, stream_id: "side" }));
    completed(await send({ input: "main again", previous_response_id: root.id, stream_id: "main" }));
    const [fork, again] = [
      await upstreamCall(before),
      (await fake.waitForRequest(before + 2, 10_000)) as Seen,
    ];
    expect(fork.body.messages.map((m) => m.content)).toEqual(["root", "echo: root", "fork"]);
    expect(again.body.messages.map((m) => m.content)).toEqual(["root", "echo: root", "main again"]);
    connection.socket.close({ code: 1000, reason: "done" });
  });
});

describe("Responses WebSocket mode and a route that fails late", () => {
  test("a turn whose upstream times out after the keep-alive committed its answer ends with an error event, then response.failed", async () => {
    // Keep-alive comments commit the answer (200) before the route's bound on its headers runs out.
    const node = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1", timeouts: { connect: "1s" } }] }],
        routing: { retries: 0, stream_keepalive: "200ms" },
      },
    });
    const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: node.adminKey ?? "", maxRetries: 0 });
    const socket = new ResponsesWS(client);
    const events: ServerEvent[] = [];
    socket.on("event", (event) => events.push(event));
    socket.on("error", () => undefined);
    socket.send({ type: "response.create", model: "m1", input: "slow [[fake:delay=4000]]" });
    await waitFor("the turn's last event", () => (events.some(ends) ? true : undefined));
    // The error event, numbered as the stream's first, then the response.failed that ends the turn.
    expect(events.at(-2)).toMatchObject({
      type: "error",
      status: 504,
      sequence_number: 0,
      error: { code: "upstream_timeout" },
    });
    expect(events.at(-1)).toMatchObject({
      type: "response.failed",
      sequence_number: 1,
      response: { status: "failed", error: { code: "upstream_timeout" } },
    });
    // The connection goes on: the next turn is answered.
    const from = events.length;
    socket.send({ type: "response.create", model: "m1", input: "quick" });
    await waitFor("the next turn's end", () => (events.slice(from).some(ends) ? true : undefined));
    expect(events.at(-1)?.type).toBe("response.completed");
    socket.close({ code: 1000, reason: "done" });
  });
});

describe("Responses WebSocket mode and a stop", () => {
  test("SIGTERM lets the turn under way finish, then closes the connection; the process exits 0", async () => {
    const node = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
      },
    });
    const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: node.adminKey ?? "", maxRetries: 0 });
    const socket = new ResponsesWS(client);
    const events: ServerEvent[] = [];
    socket.on("event", (event) => events.push(event));
    socket.on("error", () => undefined);
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    socket.send({
      type: "response.create",
      model: "m1",
      input: "drain me [[fake:chunk-delay=50,chunks=10]]",
    });
    await waitFor("the first delta", () =>
      events.some((e) => e.type === "response.output_text.delta") ? true : undefined,
    );
    const exited = node.stop("SIGTERM", 20_000);
    expect(await exited).toBe(0);
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(text(events)).toStartWith("echo: drain me");
    expect(await closed).toBeGreaterThanOrEqual(1000);
  });
});

describe("Responses WebSocket mode, refused", () => {
  /** The upgrade's HTTP answer, read off a raw connection: status line and body. */
  async function upgradeAnswer(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(gw.url);
    let received = "";
    const socket = await Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        data: (_s, chunk) => {
          received += chunk.toString();
        },
      },
    });
    const lines = Object.entries({
      host: `${hostname}:${port}`,
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...headers,
    }).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`GET /v1/responses HTTP/1.1\r\n${lines.join("")}\r\n`);
    // Its head and whole JSON body (a refusal's; the connection stays open after it).
    await waitFor("the upgrade's answer", () => (/\r\n\r\n[\s\S]*\}$/.test(received) ? true : undefined));
    socket.end();
    const [head = "", body = ""] = received.split("\r\n\r\n");
    return { status: Number(head.split(" ")[1]), body };
  }

  test("a bad key is a 401 and a worker's key a 403, in OpenAI's shape, each with a row; a plain GET is a 426 naming the upgrade", async () => {
    const bad = await upgradeAnswer({ authorization: "Bearer mgw_not_a_key" });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { type: "authentication_error" } });
    const worker = (await createKey(gw, { name: "socket-worker", role: "worker" })).key;
    const forbidden = await upgradeAnswer({ authorization: `Bearer ${worker}` });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toMatchObject({ error: { type: "permission_error" } });
    const rows = await waitFor("the refused upgrades' rows", async () => {
      const found = (await auditRecords(gw)).filter((row) => row.frontDoor === "responses_socket");
      return found.some((row) => row.status === 403) && found.some((row) => row.status === 401)
        ? found
        : undefined;
    });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const plain = await fetch(`${gw.url}/v1/responses`, { headers: { authorization: `Bearer ${key}` } });
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
  });

  test("a message that is no response.create is an error event, and the connection goes on", async () => {
    const connection = connect();
    const from = connection.events.length;
    connection.socket.sendRaw("this is not json");
    connection.socket.send({ type: "response.bogus" } as unknown as OpenAI.Responses.ResponsesClientEvent);
    connection.socket.send({ type: "response.create", model: "m1", input: "x", background: true });
    await waitFor("three error events", () =>
      connection.events.slice(from).filter((e) => e.type === "error").length === 3 ? true : undefined,
    );
    const errors = connection.events.slice(from) as unknown as {
      status: number;
      error: { type: string; code: string | null; param: string | null };
    }[];
    expect(errors.map((e) => [e.status, e.error.type, e.error.param])).toEqual([
      [400, "invalid_request_error", null],
      [400, "invalid_request_error", "type"],
      [400, "invalid_request_error", "background"],
    ]);
    expect(errors[1]?.error.code).toBe("unsupported_event_type");
    expect(text(await turn(connection, { type: "response.create", model: "m1", input: "still here" }))).toBe(
      "echo: still here",
    );
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a refused message is recorded as the refused POST it stands for: an audit row, an access line, a metric", async () => {
    const refusedPosts = async () => {
      const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
      return parsePrometheus(await res.text())
        .filter((s) => s.name === "mindgw_requests_total")
        .filter((s) => s.labels.front_door === "responses" && s.labels.status_class === "4xx")
        .reduce((sum, s) => sum + s.value, 0);
    };
    const before = await refusedPosts();
    const connection = connect();
    const from = connection.events.length;
    connection.socket.sendRaw("not json: a refusal to record");
    await waitFor("the error event", () => connection.events.slice(from).find((e) => e.type === "error"));
    const reason = "each message must be a JSON object, a client event";
    const row = await waitFor("the refusal's audit row", async () =>
      (await auditRecords(gw)).find((r) => r.errorMessage === reason && r.keyName === "socket-user"),
    );
    expect(row).toMatchObject({
      frontDoor: "responses",
      status: 400,
      errorClass: "invalid_request",
      tenant: "acme",
    });
    await waitFor("its access line", () =>
      gw.stderr.all
        .split("\n")
        .find((line) => line.includes(`request_id=${row.requestId}`) && line.includes("status=400")),
    );
    expect(await refusedPosts()).toBe(before + 1);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a turn refused by the key's rpm says when to come back in its words and in its event's headers: no Retry-After header reaches a WebSocket message", async () => {
    const limited = (await createKey(gw, { name: "socket-rpm", rpm: 1 })).key;
    const connection = connect(limited);
    completed(await turn(connection, { type: "response.create", model: "m1", input: "first" }));
    const refused = (await turn(connection, { type: "response.create", model: "m1", input: "second" })).at(
      -1,
    ) as unknown as {
      status: number;
      error: { code: string; message: string };
      headers: Record<string, string>;
    };
    expect(refused).toMatchObject({ status: 429, error: { code: "rate_limited" } });
    const retryAfter = refused.headers["retry-after"] ?? "";
    expect(Number(retryAfter)).toBeWithin(1, 61);
    expect(refused.error.message).toBe(
      `rate limit reached for this credential on requests per minute (limit 1); retry in ${retryAfter} s`,
    );
    expect(refused.headers).toMatchObject({
      "x-ratelimit-limit-requests": "1",
      "x-ratelimit-remaining-requests": "0",
      // The same time as Retry-After, in OpenAI's reset format (`1m0s` for 60).
      "x-ratelimit-reset-requests": formatReset(Number(retryAfter) * 1000),
    });
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("an unknown model and an unknown previous response are the POST's errors, as error events", async () => {
    const connection = connect();
    const unknownModel = (await turn(connection, { type: "response.create", model: "nope", input: "x" })).at(
      -1,
    ) as unknown as {
      type: string;
      status: number;
      error: { code: string };
    };
    expect(unknownModel).toMatchObject({ type: "error", status: 404, error: { code: "model_not_found" } });
    const unknownPrevious = (
      await turn(connection, {
        type: "response.create",
        model: "m1",
        input: "x",
        store: false,
        previous_response_id: "resp_never_made",
      })
    ).at(-1);
    expect(unknownPrevious).toMatchObject({
      type: "error",
      status: 400,
      error: { code: "previous_response_not_found", param: "previous_response_id" },
    });
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("another key's item_reference and a conversation are the POST's errors too, nothing sent upstream", async () => {
    const owner = connect();
    const said = completed(await turn(owner, { type: "response.create", model: "m1", input: "owner's" }));
    const itemId = said.output[0]?.id ?? "";
    expect(itemId).toMatch(/^msg_/);
    owner.socket.close({ code: 1000, reason: "done" });
    const other = connect((await createKey(gw, { name: "socket-other" })).key);
    const before = fake.requests.length;
    const reference = (
      await turn(other, {
        type: "response.create",
        model: "m1",
        input: [
          { type: "item_reference", id: itemId },
          { role: "user", content: "repeat the above" },
        ],
      })
    ).at(-1);
    expect(reference).toMatchObject({
      type: "error",
      status: 404,
      error: { message: `Item with id '${itemId}' not found.`, param: "input" },
    });
    const conversation = (
      await turn(other, {
        type: "response.create",
        model: "m1",
        input: "x",
        conversation: "conv_of_someone_else",
      } as OpenAI.Responses.ResponsesClientEvent)
    ).at(-1);
    expect(conversation).toMatchObject({ type: "error", status: 400, error: { param: "conversation" } });
    expect(fake.requests.length).toBe(before);
    other.socket.close({ code: 1000, reason: "done" });
  });

  test("revoking the key closes its open connection (1008), idle or not", async () => {
    const revocable = await createKey(gw, { name: "socket-revocable" });
    const connection = connect(revocable.key);
    completed(await turn(connection, { type: "response.create", model: "m1", input: "before" }));
    const revoked = await fetch(`${gw.url}/admin/api/keys/${revocable.id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    expect(revoked.status).toBe(200);
    let code: number | undefined;
    void connection.closed.then((closed) => {
      code = closed;
    });
    expect(await waitFor("the connection closed", () => code)).toBe(1008);
  });

  test("a reload that lowers server.max_body holds an open connection's next turns to it: a 413 error event, the connection kept", async () => {
    const version = async () => {
      const res = await fetch(`${gw.url}/readyz`);
      return ((await res.json()) as { config: { version: number } }).config.version;
    };
    const reloadTo = async (maxBody?: string) => {
      const before = await version();
      await gw.writeConfig(configFor(fake.url, maxBody));
      await waitFor("the reload", async () => ((await version()) > before ? true : undefined));
    };
    const connection = connect();
    completed(await turn(connection, { type: "response.create", model: "m1", input: "before" }));
    await reloadTo("1MB");
    const before = fake.requests.length;
    const big = `big ${"x".repeat(1536 * 1024)}`;
    const refused = await turn(connection, {
      type: "response.create",
      model: "m1",
      instructions: big,
      input: "short",
    });
    expect(refused).toEqual([
      expect.objectContaining({
        type: "error",
        status: 413,
        error: expect.objectContaining({ code: "payload_too_large" }),
      }),
    ]);
    // Nothing went upstream; the connection is still open and serves the next turn.
    expect(text(await turn(connection, { type: "response.create", model: "m1", input: "after" }))).toBe(
      "echo: after",
    );
    expect(fake.requests.length).toBe(before + 1);
    await reloadTo();
    completed(
      await turn(connection, { type: "response.create", model: "m1", instructions: big, input: "x" }),
    );
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("closing the socket mid-stream cancels the upstream call; the turn's row says 499", async () => {
    const connection = connect();
    const from = connection.events.length;
    connection.socket.send({
      type: "response.create",
      model: "m1",
      input: "slow [[fake:chunk-delay=200,chunks=50]]",
    });
    await waitFor("the first delta", () =>
      connection.events.slice(from).some((e) => e.type === "response.output_text.delta") ? true : undefined,
    );
    connection.socket.close({ code: 1000, reason: "leaving" });
    const aborted = await fake.waitForAbort(10_000);
    expect(aborted.path).toBe("/v1/chat/completions");
    const row = await waitFor("the cancelled turn's row", async () =>
      (await auditRecords(gw, { key: "socket-user" })).find(
        (r) => r.frontDoor === "responses" && r.status === 499,
      ),
    );
    expect(row.model).toBe("m1");
  });
});
