import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import type { FakeRequest, FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
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

const ENDS = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

/** Sends one turn and waits (bounded) for its last event; returns the turn's events. */
async function turn(
  connection: ReturnType<typeof connect>,
  event: OpenAI.Responses.ResponsesClientEvent,
): Promise<ServerEvent[]> {
  const from = connection.events.length;
  connection.socket.send(event);
  await waitFor("the turn's last event", () =>
    connection.events.slice(from).some((e) => ENDS.has(e.type)) ? true : undefined,
  );
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
});
