import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { withDb } from "./harness/audit-kit.ts";
import type { Seen } from "./harness/responses-fixture.ts";
import {
  completed,
  responsesSocketFixture,
  type ServerEvent,
  turn,
} from "./harness/responses-socket-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Chains over the socket: stored turns (`store: true`) each stored once and read back whole, and
// lanes (`stream_id`) that run side by side and fork from each other's last response.

const ws = responsesSocketFixture();
const { fx, connect, upstreamCall } = ws;

describe("Responses WebSocket mode, stored (store: true)", () => {
  /** Each stored row's `items` length and the response it continues, as the store holds them. */
  const rows = (ids: readonly string[]) =>
    withDb(`${fx.gw.dir}/mindgw.db`, (db) =>
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
  const http = () => new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: ws.key, maxRetries: 0 });
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
    const before = fx.fake.requests.length;
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
    const before = fx.fake.requests.length;
    completed(await send({ input: "fork", previous_response_id: root.id, stream_id: "side" }));
    completed(await send({ input: "main again", previous_response_id: root.id, stream_id: "main" }));
    const [fork, again] = [
      await upstreamCall(before),
      (await fx.fake.waitForRequest(before + 2, 10_000)) as Seen,
    ];
    expect(fork.body.messages.map((m) => m.content)).toEqual(["root", "echo: root", "fork"]);
    expect(again.body.messages.map((m) => m.content)).toEqual(["root", "echo: root", "main again"]);
    connection.socket.close({ code: 1000, reason: "done" });
  });
});
