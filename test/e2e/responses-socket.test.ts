import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { completed, responsesSocketFixture, text, turn } from "./harness/responses-socket-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// The Responses API's WebSocket mode (`GET /v1/responses` upgraded) through the compiled gateway,
// driven by the official SDK's `ResponsesWS`: each `response.create` runs as the POST it stands
// for (routed, translated, audited), its events come back as messages, and the connection's last
// response can be continued from by id with `store: false` and after `generate: false`.

const ws = responsesSocketFixture();
const { fx, connect, upstreamCall } = ws;

describe("Responses WebSocket mode", () => {
  test("a turn streams the Responses events as messages and leaves rows for the upgrade and the turn", async () => {
    const connection = connect();
    const before = fx.fake.requests.length;
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
      const all = await auditRecords(fx.gw, { key: "socket-user" });
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
    const before = fx.fake.requests.length;
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
    const before = fx.fake.requests.length;
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
    expect(fx.fake.requests.length).toBe(before);
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
    const own = await createKey(fx.gw, { name: "socket-warm" });
    const narrow = await createKey(fx.gw, { name: "socket-warm-narrow", models: ["other-*"] });
    const connection = connect(own.key);
    const narrowed = connect(narrow.key);
    const before = fx.fake.requests.length;
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
    expect(fx.fake.requests.length).toBe(before);
    const rows = await waitFor("the warm-ups' rows", async () => {
      const all = [
        ...(await auditRecords(fx.gw, { key: "socket-warm" })),
        ...(await auditRecords(fx.gw, { key: "socket-warm-narrow" })),
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
    const http = new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: ws.key, maxRetries: 0 });
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
    const before = fx.fake.requests.length;
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
    const http = new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: ws.key, maxRetries: 0 });
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
    const before = fx.fake.requests.length;
    const warm = completed(await warmUp(stored.id));
    expect(warm.previous_response_id).toBe(stored.id);
    expect(fx.fake.requests.length).toBe(before);
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
    const before = fx.fake.requests.length;
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
