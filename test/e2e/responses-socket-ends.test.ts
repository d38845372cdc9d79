import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import {
  completed,
  ends,
  responsesSocketFixture,
  type ServerEvent,
  text,
  turn,
} from "./harness/responses-socket-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// How a turn or a connection ends early: an upstream that fails after the answer was committed, a
// SIGTERM, a revoked key, a client that closes mid-stream.

const ws = responsesSocketFixture();
const { fx, connect } = ws;

describe("Responses WebSocket mode and a route that fails late", () => {
  test("a turn whose upstream times out after the keep-alive committed its answer ends with an error event, then response.failed", async () => {
    // Keep-alive comments commit the answer (200) before the route's bound on its headers runs out.
    const node = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
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
        providers: [{ name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
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
  test("revoking the key closes its open connection (1008), idle or not", async () => {
    const revocable = await createKey(fx.gw, { name: "socket-revocable" });
    const connection = connect(revocable.key);
    completed(await turn(connection, { type: "response.create", model: "m1", input: "before" }));
    const revoked = await fetch(`${fx.gw.url}/admin/api/keys/${revocable.id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.gw.adminKey}` },
    });
    expect(revoked.status).toBe(200);
    let code: number | undefined;
    void connection.closed.then((closed) => {
      code = closed;
    });
    expect(await waitFor("the connection closed", () => code)).toBe(1008);
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
    const aborted = await fx.fake.waitForAbort(10_000);
    expect(aborted.path).toBe("/v1/chat/completions");
    const row = await waitFor("the cancelled turn's row", async () =>
      (await auditRecords(fx.gw, { key: "socket-user" })).find(
        (r) => r.frontDoor === "responses" && r.status === 499,
      ),
    );
    expect(row.model).toBe("m1");
  });
});
