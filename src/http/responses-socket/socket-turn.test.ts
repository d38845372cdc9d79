import { describe, expect, test } from "bun:test";
import { type LastResponse, readTurn, type SocketError, type SocketTurn } from "./socket-turn.ts";

const LAST: LastResponse = {
  id: "resp_last",
  items: [
    { type: "message", role: "user", content: "hi" },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "hello" }] },
  ],
  holders: new Map(),
  stored: false,
};

/** The connection's kept responses: `last` alone, or none. */
const kept = (last?: LastResponse) => new Map(last ? [[last.id, last]] : []);

const turnOf = (message: unknown, last?: LastResponse): SocketTurn => {
  const read = readTurn(message, kept(last));
  if (read.kind !== "create") throw new Error(`refused: ${read.error.message}`);
  return read;
};

const refusalOf = (message: unknown, last?: LastResponse): SocketError => {
  const read = readTurn(message, kept(last));
  if (read.kind !== "refused") throw new Error(`no refusal for ${JSON.stringify(message)}`);
  return read.error;
};

describe("readTurn refuses what is no response.create", () => {
  test("a message that is no JSON object is a 400 without a param", () => {
    for (const message of [null, undefined, "response.create", 42, true, [{ type: "response.create" }]]) {
      const error = refusalOf(message);
      expect({
        message,
        status: error.status,
        type: error.type,
        param: error.param,
        code: error.code,
      }).toEqual({
        message,
        status: 400,
        type: "invalid_request_error",
        param: null,
        code: null,
      });
    }
  });

  test("an unknown or missing event type is unsupported_event_type on `type`, naming what was sent", () => {
    for (const [message, named] of [
      [{ type: "response.cancel" }, '"response.cancel"'],
      [{ type: 7 }, "7"],
      [{ model: "m", input: "hi" }, "null"],
    ] as const) {
      const error = refusalOf(message);
      expect(error).toMatchObject({
        status: 400,
        type: "invalid_request_error",
        code: "unsupported_event_type",
        param: "type",
      });
      expect(error.message).toContain(named);
    }
  });

  test("response.steer is refused as unsupported, even when it names the last response", () => {
    const error = refusalOf({ type: "response.steer", previous_response_id: LAST.id, input: "more" }, LAST);
    expect(error).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "unsupported_event_type",
      param: "type",
    });
    expect(error.message).toContain("response.steer");
  });

  test("background, a non-boolean generate and a non-string stream_id are 400s naming the field", () => {
    for (const [fields, param] of [
      [{ background: true }, "background"],
      [{ generate: "false" }, "generate"],
      [{ generate: 0 }, "generate"],
      [{ generate: null }, "generate"],
      [{ stream_id: 3 }, "stream_id"],
      [{ stream_id: null }, "stream_id"],
    ] as const) {
      const error = refusalOf({ type: "response.create", model: "m", input: "hi", ...fields });
      expect({
        fields,
        status: error.status,
        type: error.type,
        param: error.param,
        code: error.code,
      }).toEqual({
        fields,
        status: 400,
        type: "invalid_request_error",
        param,
        code: null,
      });
    }
  });

  test("background: false is no refusal", () => {
    expect(turnOf({ type: "response.create", model: "m", background: false }).body.background).toBe(false);
  });
});

describe("readTurn's create", () => {
  test("the body is the event's fields with stream: true, without type, generate or stream_id", () => {
    const turn = turnOf({
      type: "response.create",
      model: "gpt-x",
      input: [{ type: "message", role: "user", content: "hi" }],
      instructions: "be brief",
      store: false,
      tools: [{ type: "function", name: "f" }],
      generate: true,
      stream_id: "lane-1",
    });
    expect(turn.body).toEqual({
      model: "gpt-x",
      input: [{ type: "message", role: "user", content: "hi" }],
      instructions: "be brief",
      store: false,
      tools: [{ type: "function", name: "f" }],
      stream: true,
    });
    expect(turn).toMatchObject({ kind: "create", generate: true, streamId: "lane-1", continued: undefined });
  });

  test("the client's own stream flag is overridden: every turn streams", () => {
    expect(turnOf({ type: "response.create", model: "m", stream: false }).body.stream).toBe(true);
  });

  test("generate defaults to true, generate: false is kept, stream_id defaults to undefined", () => {
    const plain = turnOf({ type: "response.create", model: "m" });
    expect({ generate: plain.generate, streamId: plain.streamId }).toEqual({
      generate: true,
      streamId: undefined,
    });
    expect(turnOf({ type: "response.create", model: "m", generate: false }).generate).toBe(false);
  });

  test("a turn continued from nothing keeps its input as it was sent, or none", () => {
    expect(turnOf({ type: "response.create", model: "m", input: "hello" }).body.input).toBe("hello");
    expect("input" in turnOf({ type: "response.create", model: "m" }).body).toBe(false);
  });

  test("naming the last response continues it locally: the turn's body as sent, the conversation beside it", () => {
    const turn = turnOf(
      {
        type: "response.create",
        model: "m",
        store: false,
        previous_response_id: LAST.id,
        input: "and then?",
      },
      LAST,
    );
    // As the same POST over HTTP: the pipeline takes the conversation from `continued`, not the store.
    expect(turn.body).toEqual({
      model: "m",
      store: false,
      previous_response_id: LAST.id,
      input: "and then?",
      stream: true,
    });
    expect(turn.continued).toBe(LAST);
  });

  test("continuing a last response of no conversation (a warm-up of nothing) names no id to send on", () => {
    const empty: LastResponse = { id: "resp_empty", items: [], holders: new Map(), stored: true };
    const turn = turnOf(
      { type: "response.create", model: "m", previous_response_id: empty.id, input: "x" },
      empty,
    );
    expect("previous_response_id" in turn.body).toBe(false);
    expect(turn.continued).toBe(empty);
  });

  test("continuing leaves the last response's list as it was", () => {
    const last: LastResponse = {
      id: "resp_1",
      items: [{ n: 1 }, { n: 2 }],
      holders: new Map(),
      stored: false,
    };
    turnOf({ type: "response.create", previous_response_id: "resp_1", input: [{ n: 3 }] }, last);
    expect(last).toEqual({ id: "resp_1", items: [{ n: 1 }, { n: 2 }], holders: new Map(), stored: false });
  });

  test("another previous_response_id is left for the store: body unchanged, not continued", () => {
    const turn = turnOf(
      { type: "response.create", model: "m", previous_response_id: "resp_stored", input: "next" },
      LAST,
    );
    expect(turn.body).toEqual({
      model: "m",
      previous_response_id: "resp_stored",
      input: "next",
      stream: true,
    });
    expect(turn.continued).toBeUndefined();
  });

  test("a previous_response_id with no last response on the connection is left for the store", () => {
    const turn = turnOf({ type: "response.create", model: "m", previous_response_id: LAST.id, input: "x" });
    expect(turn.body.previous_response_id).toBe(LAST.id);
    expect(turn.continued).toBeUndefined();
  });
});

describe("readTurn: what later turns may continue from here", () => {
  const last: LastResponse = {
    id: "resp_last",
    items: [{ role: "user", content: "a" }, { type: "message" }],
    holders: new Map(),
    stored: true,
  };

  test("a turn naming no response, or the connection's last, knows the whole conversation", () => {
    expect(readTurn({ type: "response.create", model: "m", input: "x" }, kept(last))).toMatchObject({
      whole: true,
    });
    expect(
      readTurn(
        { type: "response.create", model: "m", input: "x", previous_response_id: "resp_last" },
        kept(last),
      ),
    ).toMatchObject({ whole: true });
  });

  test("a turn continued from the store does not: its input is only its own", () => {
    expect(
      readTurn(
        { type: "response.create", model: "m", input: "x", previous_response_id: "resp_stored" },
        kept(last),
      ),
    ).toMatchObject({ whole: false, continued: undefined });
  });

  test("a refused message keeps the lane it named", () => {
    expect(
      readTurn({ type: "response.create", background: true, stream_id: "lane-2" }, kept()),
    ).toMatchObject({
      kind: "refused",
      streamId: "lane-2",
    });
    expect(readTurn({ type: "nope", stream_id: 3 }, kept())).toMatchObject({
      kind: "refused",
      streamId: undefined,
    });
  });
});
