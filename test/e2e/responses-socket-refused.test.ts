import { describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { formatReset } from "../../src/auth/reset-format.ts";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { parsePrometheus } from "./harness/prometheus-text.ts";
import { completed, responsesSocketFixture, text, turn } from "./harness/responses-socket-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// What the socket refuses: a bad key or a worker's at the upgrade, a message that is no
// response.create, the POST's own refusals as error events, recorded as the POST would be.

const ws = responsesSocketFixture();
const { fx, connect, configFor } = ws;

describe("Responses WebSocket mode, refused", () => {
  /** The upgrade's HTTP answer, read off a raw connection: status line and body. */
  async function upgradeAnswer(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(fx.gw.url);
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
    const worker = (await createKey(fx.gw, { name: "socket-worker", role: "worker" })).key;
    const forbidden = await upgradeAnswer({ authorization: `Bearer ${worker}` });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toMatchObject({ error: { type: "permission_error" } });
    const rows = await waitFor("the refused upgrades' rows", async () => {
      const found = (await auditRecords(fx.gw)).filter((row) => row.frontDoor === "responses_socket");
      return found.some((row) => row.status === 403) && found.some((row) => row.status === 401)
        ? found
        : undefined;
    });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const plain = await fetch(`${fx.gw.url}/v1/responses`, {
      headers: { authorization: `Bearer ${ws.key}` },
    });
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
      const res = await fetch(`${fx.gw.url}/metrics`, {
        headers: { authorization: `Bearer ${fx.gw.adminKey}` },
      });
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
      (await auditRecords(fx.gw)).find((r) => r.errorMessage === reason && r.keyName === "socket-user"),
    );
    expect(row).toMatchObject({
      frontDoor: "responses",
      status: 400,
      errorClass: "invalid_request",
      tenant: "acme",
    });
    await waitFor("its access line", () =>
      fx.gw.stderr.all
        .split("\n")
        .find((line) => line.includes(`request_id=${row.requestId}`) && line.includes("status=400")),
    );
    expect(await refusedPosts()).toBe(before + 1);
    connection.socket.close({ code: 1000, reason: "done" });
  });

  test("a turn refused by the key's rpm says when to come back in its words and in its event's headers: no Retry-After header reaches a WebSocket message", async () => {
    const limited = (await createKey(fx.gw, { name: "socket-rpm", rpm: 1 })).key;
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
    const other = connect((await createKey(fx.gw, { name: "socket-other" })).key);
    const before = fx.fake.requests.length;
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
    expect(fx.fake.requests.length).toBe(before);
    other.socket.close({ code: 1000, reason: "done" });
  });

  test("a reload that lowers server.max_body holds an open connection's next turns to it: a 413 error event, the connection kept", async () => {
    const version = async () => {
      const res = await fetch(`${fx.gw.url}/readyz`);
      return ((await res.json()) as { config: { version: number } }).config.version;
    };
    const reloadTo = async (maxBody?: string) => {
      const before = await version();
      await fx.gw.writeConfig(configFor(fx.fake.url, maxBody));
      await waitFor("the reload", async () => ((await version()) > before ? true : undefined));
    };
    const connection = connect();
    completed(await turn(connection, { type: "response.create", model: "m1", input: "before" }));
    await reloadTo("1MB");
    const before = fx.fake.requests.length;
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
    expect(fx.fake.requests.length).toBe(before + 1);
    await reloadTo();
    completed(
      await turn(connection, { type: "response.create", model: "m1", instructions: big, input: "x" }),
    );
    connection.socket.close({ code: 1000, reason: "done" });
  });
});
