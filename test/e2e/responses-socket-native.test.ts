import { describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { nativeMessage, withoutId } from "./harness/responses-fixture.ts";
import {
  completed,
  nativeStream,
  responsesSocketFixture,
  type ServerEvent,
  turn,
} from "./harness/responses-socket-fixture.ts";

// The socket to a route serving the Responses API itself: items and ids as that upstream keeps
// them, and its failures as over HTTP.

const ws = responsesSocketFixture();
const { connect } = ws;

describe("Responses WebSocket mode and a route serving the Responses API", () => {
  /** The input of the last request the native upstream was sent. */
  const nativeInput = () =>
    (JSON.parse(ws.native.requests.at(-1)?.text ?? "{}") as { input: unknown[] }).input;
  const user = (content: string) => ({ type: "message", role: "user", content });

  test("a conversation a chat route answered, continued from the connection on a native route: without the gateway's ids, its bare reasoning left out; the native turn's own ids kept on the next", async () => {
    const connection = connect();
    const asked = "remember 42 [[fake:reasoning=I note it.]]";
    const translated = completed(
      await turn(connection, { type: "response.create", model: "m1", input: asked, store: false }),
    );
    expect(translated.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    const said = withoutId(translated.output[1] ?? {});
    ws.native.queue(nativeStream("resp_ws_native1", [nativeMessage("msg_ws_native1", "noted")]));
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
    ws.native.queue(nativeStream("resp_ws_native2", [nativeMessage("msg_ws_native2", "ok")]));
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
    ws.native.queue(nativeStream("resp_ws_unkept1", first));
    const stateless = { store: false, include: ["reasoning.encrypted_content" as const] };
    completed(
      await turn(connection, { type: "response.create", model: "n1", input: "remember 42", ...stateless }),
    );
    ws.native.queue(
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
    ws.native.queue(nativeStream("resp_ws_unkept3", [nativeMessage("msg_ws_unkept3", "ok")]));
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
    ws.native.queue({
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
      ws.native.queue({
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

  test("a container a held turn's answer ran in is the next turn's to name; one its input named is not (404 naming tools, nothing sent), nor sent beside a tool that picks one (404 naming input)", async () => {
    const connection = connect();
    const call = (id: string, container: string) => ({
      id,
      type: "code_interpreter_call",
      status: "completed",
      code: "print(1)",
      container_id: container,
      outputs: null,
    });
    const codeIn = (container: string) => [{ type: "code_interpreter" as const, container }];
    // A store: false turn held on the connection alone, its input a call the caller wrote itself:
    // refused beside a tool that lets the upstream pick a container (which could reuse that one),
    // sent as written without one.
    const asked = [withoutId(call("forged", "cntr_ws_other")), user("run it")];
    const before = ws.native.requests.length;
    const picking = (
      await turn(connection, {
        type: "response.create",
        model: "n1",
        input: asked as OpenAI.Responses.ResponseInput,
        store: false,
        tools: [{ type: "code_interpreter", container: { type: "auto" } }],
      })
    ).at(-1) as unknown as { type: string; status: number; error: { param: string; message: string } };
    expect(picking).toMatchObject({ type: "error", status: 404, error: { param: "input" } });
    expect(picking.error.message).toContain("Container with id 'cntr_ws_other' not found");
    expect(ws.native.requests.length).toBe(before);
    ws.native.queue(nativeStream("resp_ws_ci1", [call("ci_ws_1", "cntr_ws_own")]));
    completed(
      await turn(connection, {
        type: "response.create",
        model: "n1",
        input: asked as OpenAI.Responses.ResponseInput,
        store: false,
      }),
    );
    const refused = (
      await turn(connection, {
        type: "response.create",
        model: "n1",
        previous_response_id: "resp_ws_ci1",
        input: "again",
        store: false,
        tools: codeIn("cntr_ws_other"),
      })
    ).at(-1) as unknown as { type: string; status: number; error: { param: string; message: string } };
    expect(refused).toMatchObject({ type: "error", status: 404, error: { param: "tools" } });
    expect(refused.error.message).toContain("Container with id 'cntr_ws_other' not found");
    expect(ws.native.requests.length).toBe(before + 1);
    // The container its answer ran in goes as named.
    ws.native.queue(nativeStream("resp_ws_ci2", [nativeMessage("msg_ws_ci2", "done")]));
    completed(
      await turn(connection, {
        type: "response.create",
        model: "n1",
        previous_response_id: "resp_ws_ci1",
        input: "again",
        store: false,
        tools: codeIn("cntr_ws_own"),
      }),
    );
    expect(JSON.parse(ws.native.requests.at(-1)?.text ?? "{}").tools).toEqual(codeIn("cntr_ws_own"));
    connection.socket.close({ code: 1000, reason: "done" });
  });
});
