import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamTimeout } from "../../core/gateway-error.ts";
import { errorEvent, replyError, type TurnEvent, turnData } from "./socket-events.ts";
import type { SocketError, SocketTurn } from "./socket-turn.ts";

const turn = (fields: Partial<Pick<SocketTurn, "streamId" | "continued">> = {}): SocketTurn => ({
  kind: "create",
  body: { model: "m", stream: true },
  generate: true,
  streamId: fields.streamId,
  continued: fields.continued,
  whole: true,
});

const COMPLETED = '{"type":"response.completed", "response":{"id":"resp_2","output":[]}}';

/** The event `data` is, or undefined when it is none. */
const turnEvent = (data: string, of: SocketTurn): TurnEvent | undefined => {
  const read = turnData(data, of);
  return read.kind === "event" ? read.event : undefined;
};

describe("turnData", () => {
  test("[DONE] and empty data are nothing to send", () => {
    for (const data of ["[DONE]", ""]) expect(turnData(data, turn())).toEqual({ kind: "nothing" });
  });

  test("what is no Responses event ends the turn with the socket's error event: never silence", () => {
    for (const data of ["{not json", "42", '"response.created"', "null", "[]", "{}", '{"type":3}']) {
      const read = turnData(data, turn({ streamId: "s" }));
      expect({ data, read }).toMatchObject({ data, read: { kind: "failure", error: { status: 502 } } });
    }
  });

  test("an error chunk of any shape (a kept-alive stream's chat-style one) is the turn's error, its words kept", () => {
    const timeout = JSON.stringify({
      error: {
        message: "upstream chatfake timed out",
        type: "server_error",
        code: "upstream_timeout",
        param: null,
      },
    });
    // The gateway wrote it, and told of it first: its failure's status.
    expect(turnData(timeout, turn(), upstreamTimeout("upstream chatfake timed out"))).toEqual({
      kind: "failure",
      error: {
        status: 504,
        type: "server_error",
        code: "upstream_timeout",
        message: "upstream chatfake timed out",
        param: null,
      },
    });
    expect(turnData('{"error":"boom"}', turn())).toMatchObject({ kind: "failure", error: { status: 502 } });
  });

  test("the Responses stream's own error event (a route failed once the stream was committed) is the turn's error, its response.failed to follow", () => {
    const failed = JSON.stringify({
      type: "error",
      code: "upstream_timeout",
      message: "upstream fake timed out waiting for response headers (1000 ms)",
      param: null,
      sequence_number: 0,
    });
    expect(turnData(failed, turn(), upstreamTimeout("upstream fake timed out"))).toEqual({
      kind: "error",
      error: {
        status: 504,
        type: "server_error",
        code: "upstream_timeout",
        message: "upstream fake timed out waiting for response headers (1000 ms)",
        param: null,
        sequenceNumber: 0,
      },
    });
    // The same event an upstream sent (a gateway in front of another), relayed: by where it came
    // from, not its code's name, that upstream's failure — its timeout, the gateway's 504 as over
    // HTTP (an upstream's 504 is the gateway's upstream_timeout in every dialect).
    expect(turnData(failed, turn())).toMatchObject({ kind: "error", error: { status: 504 } });
  });

  // Each event's code names, relayed from an upstream, another status than the failure the
  // gateway wrote it for: the status is the source's, never read off the code.
  test.each([
    ["a timeout, said in the upstream's words", "upstream_timeout", 504, "server_error", "server_error", 502],
    ["the gateway's own limit", "rate_limited", 429, "rate_limited", "rate_limit_error", 502],
    ["no route left", "no_route_available", 503, "no_route_available", "service_unavailable", 502],
    [
      "a model the gateway does not serve",
      "model_not_found",
      404,
      "model_not_found",
      "invalid_request_error",
      502,
    ],
  ] as const)(
    "a stream's error event the gateway wrote (%s) is the socket's error with the status of the failure it told of",
    (_, failure, status, code, type, relayed) => {
      const written = new GatewayError({ status, code: failure, message: "refused" });
      const failed = JSON.stringify({
        type: "error",
        code,
        message: "refused",
        param: null,
        sequence_number: 7,
      });
      expect(turnData(failed, turn(), written)).toEqual({
        kind: "error",
        error: { status, type, code, message: "refused", param: null, sequenceNumber: 7 },
      });
      // The same event relayed from an upstream, as it came.
      expect(turnData(failed, turn())).toMatchObject({ kind: "error", error: { status: relayed } });
    },
  );

  test.each([
    ["an upstream's 429", "rate_limit_exceeded", 429, "rate_limit_error"],
    ["a prompt too long", "context_length_exceeded", 400, "invalid_request_error"],
    ["a prompt the upstream refused", "invalid_prompt", 400, "invalid_request_error"],
    ["a string past its bound", "string_above_max_length", 400, "invalid_request_error"],
    ["the upstream's failure", "server_error", 502, "server_error"],
    // OpenAI's overload: its 503, the status Codex reads the code at (core/overload.ts).
    ["the upstream overloaded", "server_is_overloaded", 503, "service_unavailable_error"],
    ["the upstream asking to slow down", "slow_down", 503, "service_unavailable_error"],
    ["the gateway's account's quota", "insufficient_quota", 502, "server_error"],
    ["a code nobody knows", "mystery_failure", 502, "server_error"],
    // Codes the gateway has too: an upstream's, said of the route (its model, its credentials),
    // are the gateway's 502 as over HTTP, not the 404 or 401 the gateway's own would be.
    ["a model the upstream does not have", "model_not_found", 502, "server_error"],
    ["the upstream refusing the gateway's credentials", "unauthorized", 502, "server_error"],
  ])(
    "a native route's error event of %s (%s), relayed, is the socket's error at %i, %s, its fields kept; a chat-style chunk of it, the same status",
    (_, code, status, type) => {
      const failed = JSON.stringify({
        type: "error",
        code,
        message: "refused",
        param: null,
        sequence_number: 7,
      });
      expect(turnData(failed, turn())).toEqual({
        kind: "error",
        error: { status, type, code, message: "refused", param: null, sequenceNumber: 7 },
      });
      // The same verdict from an error chunk of chat's shape (a kept-alive stream's).
      const chunk = JSON.stringify({ error: { message: "refused", code } });
      expect(turnData(chunk, turn())).toMatchObject({ kind: "failure", error: { status } });
    },
  );

  test("nothing to add: the stream's own text, its type and response", () => {
    const event = turnEvent(COMPLETED, turn());
    expect(event?.text).toBe(COMPLETED);
    expect(event?.type).toBe("response.completed");
    expect(event?.response).toEqual({ id: "resp_2", output: [] });
    expect(event?.sequence).toBeUndefined();
    expect(
      turnEvent('{"type":"response.output_text.delta","delta":"hi","sequence_number":4}', turn())?.sequence,
    ).toBe(4);
  });

  test("an event without a response object has none", () => {
    const delta = '{"type":"response.output_text.delta","delta":"hi"}';
    expect(turnEvent(delta, turn())).toEqual({
      text: delta,
      type: "response.output_text.delta",
      response: undefined,
      sequence: undefined,
    });
    expect(turnEvent('{"type":"x","response":"text"}', turn())?.response).toBeUndefined();
  });

  test("the turn's stream_id is added to every event", () => {
    const event = turnEvent('{"type":"response.output_text.delta","delta":"hi"}', turn({ streamId: "lane" }));
    expect(JSON.parse(event?.text ?? "null")).toEqual({
      type: "response.output_text.delta",
      delta: "hi",
      stream_id: "lane",
    });
  });

  test("a continued turn's previous_response_id is put back into the response", () => {
    const event = turnEvent(
      COMPLETED,
      turn({ continued: { id: "resp_1", items: [], holders: new Map(), stored: true } }),
    );
    expect(JSON.parse(event?.text ?? "null")).toEqual({
      type: "response.completed",
      response: { id: "resp_2", output: [], previous_response_id: "resp_1" },
    });
    expect(event?.response?.previous_response_id).toBe("resp_1");
  });

  test("a continued turn's event without a response is left as it came", () => {
    const delta = '{"type":"response.output_text.delta", "delta":"hi"}';
    expect(
      turnEvent(delta, turn({ continued: { id: "resp_1", items: [], holders: new Map(), stored: true } }))
        ?.text,
    ).toBe(delta);
  });

  test("both at once: stream_id on the event, previous_response_id in its response", () => {
    const event = turnEvent(
      COMPLETED,
      turn({ streamId: "lane", continued: { id: "resp_1", items: [], holders: new Map(), stored: true } }),
    );
    expect(JSON.parse(event?.text ?? "null")).toEqual({
      type: "response.completed",
      response: { id: "resp_2", output: [], previous_response_id: "resp_1" },
      stream_id: "lane",
    });
  });
});

describe("errorEvent", () => {
  const ERROR: SocketError = {
    status: 429,
    type: "rate_limit_error",
    code: "rate_limit_exceeded",
    message: "slow down",
    param: null,
  };

  test("type error, the status, OpenAI's error fields; no stream_id unless given", () => {
    expect(JSON.parse(errorEvent(ERROR, undefined))).toEqual({
      type: "error",
      status: 429,
      error: { type: "rate_limit_error", code: "rate_limit_exceeded", message: "slow down", param: null },
    });
    expect(errorEvent(ERROR, undefined)).not.toContain("stream_id");
    expect(errorEvent(ERROR, undefined)).not.toContain("sequence_number");
  });

  test("a failure the stream said itself is OpenAI's nested error and the stream's error event at once: the SDKs read one or the other", () => {
    const streamed = turnData(
      JSON.stringify({
        type: "error",
        sequence_number: 9,
        code: "invalid_prompt",
        message: "flagged",
        param: null,
      }),
      turn(),
    );
    if (streamed.kind !== "error") throw new Error("not a failure");
    expect(JSON.parse(errorEvent(streamed.error, "lane"))).toEqual({
      type: "error",
      status: 400,
      sequence_number: 9,
      code: "invalid_prompt",
      message: "flagged",
      param: null,
      error: { type: "invalid_request_error", code: "invalid_prompt", message: "flagged", param: null },
      stream_id: "lane",
    });
  });

  test("a given stream_id is echoed, an empty one too", () => {
    expect(JSON.parse(errorEvent(ERROR, "lane"))).toMatchObject({
      type: "error",
      status: 429,
      stream_id: "lane",
    });
    expect(JSON.parse(errorEvent(ERROR, ""))).toMatchObject({ stream_id: "" });
  });
});

describe("replyError", () => {
  test("an OpenAI error body is read field by field", () => {
    const text = JSON.stringify({
      error: {
        message: "no such model",
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
    expect(replyError(404, text)).toEqual({
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      message: "no such model",
      param: "model",
    });
  });

  test("a numeric code becomes a string, a null one null", () => {
    expect(replyError(400, '{"error":{"message":"m","type":"t","code":42}}').code).toBe("42");
    expect(replyError(400, '{"error":{"message":"m","type":"t","code":null,"param":null}}')).toEqual({
      status: 400,
      type: "t",
      code: null,
      message: "m",
      param: null,
    });
  });

  test("an error body without a type takes the status's", () => {
    expect(replyError(503, '{"error":{"message":"down"}}')).toMatchObject({
      type: "server_error",
      message: "down",
    });
    expect(replyError(413, '{"error":{"message":"big"}}')).toMatchObject({
      type: "invalid_request_error",
      message: "big",
    });
  });

  test("text that is no OpenAI error: the status's type, the text as message", () => {
    expect(replyError(502, "Bad Gateway")).toEqual({
      status: 502,
      type: "server_error",
      code: null,
      message: "Bad Gateway",
      param: null,
    });
    expect(replyError(500, "oops")).toMatchObject({ type: "server_error", message: "oops" });
    expect(replyError(401, "unauthorized")).toMatchObject({
      type: "invalid_request_error",
      message: "unauthorized",
    });
    expect(replyError(400, '{"detail":"nope"}')).toMatchObject({
      type: "invalid_request_error",
      message: '{"detail":"nope"}',
      code: null,
      param: null,
    });
  });

  test("an empty reply says the status", () => {
    expect(replyError(504, "")).toMatchObject({
      type: "server_error",
      message: "request failed with status 504",
    });
  });
});

test("a reply that parses as OpenAI's error without a message says the status, not the raw body", () => {
  expect(replyError(429, JSON.stringify({ error: { type: "rate_limit_error" } })).message).toBe(
    "request failed with status 429",
  );
});

test("a refused reply's headers of when to come back go with its error, none else; a message not pointing at Retry-After is kept", () => {
  const headers = new Headers({
    "content-type": "application/json",
    "x-request-id": "req_1",
    "retry-after": "7",
    "retry-after-ms": "6500",
    "x-should-retry": "true",
    "x-ratelimit-remaining-tokens": "0",
  });
  // An upstream's own 429, relayed whole: its words stand, its headers travel.
  const upstream = replyError(
    429,
    '{"error":{"message":"Please try again in 6.5s.","type":"tokens"}}',
    headers,
  );
  expect(upstream).toEqual({
    status: 429,
    type: "tokens",
    code: null,
    message: "Please try again in 6.5s.",
    param: null,
    headers: {
      "retry-after": "7",
      "retry-after-ms": "6500",
      "x-should-retry": "true",
      "x-ratelimit-remaining-tokens": "0",
    },
  });
  expect(JSON.parse(errorEvent(upstream, undefined)).headers).toEqual(upstream.headers);
  // Without any, no `headers` at all.
  expect(
    replyError(400, '{"error":{"message":"m"}}', new Headers({ "x-request-id": "r" })),
  ).not.toHaveProperty("headers");
});
