import { describe, expect, test } from "bun:test";
import { relayOf, run } from "./testing/sse-kit.ts";

// A Responses stream that fails, relayed by sseResponse: it ends as OpenAI ends one, its own
// response failed after the error event.

describe("sseResponse: a Responses stream that fails", () => {
  test("a Responses stream relayed as it came ends failed as OpenAI ends one: its error event, then response.failed failing its own response (its created_at the opening's), numbered after the last event relayed", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up1","object":"response","created_at":1700000000,"status":"in_progress"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
    ];
    const { text, ended } = await run(relayOf(events, true), "responses");
    expect(text).toStartWith(
      `${events.join("")}event: error\ndata: {"type":"error","sequence_number":2,"code":"upstream_error","message":"upstream a closed the connection mid-stream","param":null}\n\n`,
    );
    expect(tail(text)).toEqual({
      type: "response.failed",
      sequence_number: 3,
      response: {
        id: "resp_up1",
        object: "response",
        created_at: 1700000000,
        incomplete_details: null,
        status: "failed",
        error: { code: "upstream_error", message: "upstream a closed the connection mid-stream" },
      },
    });
    expect(ended?.error?.code).toBe("upstream_error");
  });

  test("a Responses stream whose upstream orders the response's keys its own way still fails its own response", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"object":"response","status":"in_progress","id":"resp_az1"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
    ];
    const { text } = await run(relayOf(events, true), "responses");
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 3,
      response: { id: "resp_az1" },
    });
  });

  test("a Responses stream whose upstream ends it with a bare error event gets the response.failed OpenAI sends after one (Codex reads that alone), numbered after it, with the upstream's code", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"object":"response","id":"resp_up2"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"context_length_exceeded","message":"Your input exceeds the context window of this model.","param":"input"}\n\n',
    ];
    const { text, ended } = await run(relayOf(events), "responses");
    expect(text).toStartWith(events.join(""));
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 3,
      response: {
        id: "resp_up2",
        status: "failed",
        error: {
          code: "context_length_exceeded",
          message: "Your input exceeds the context window of this model.",
        },
      },
    });
    expect(ended?.error?.code).toBe("upstream_error");
  });

  test("the response.failed the gateway writes says the previous_response_id its stream's response said (the caller's, for a chain the gateway expanded), both when the upstream failed and when it ended at a bare error event", async () => {
    const created =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up4","object":"response","previous_response_id":"resp_prev"}}\n\n';
    const delta =
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n';
    const error =
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"server_error","message":"boom","param":null}\n\n';
    for (const [reads, failing] of [
      [[created, delta], true],
      [[created, delta, error], false],
    ] as const) {
      const { text } = await run(relayOf([...reads], failing), "responses");
      expect(tail(text)).toMatchObject({
        type: "response.failed",
        response: { id: "resp_up4", previous_response_id: "resp_prev", status: "failed" },
      });
    }
    const { text } = await run(relayOf([created.replace('"resp_prev"', "null"), delta], true), "responses");
    expect(tail(text)).toMatchObject({ response: { id: "resp_up4", previous_response_id: null } });
  });

  test("one that ends with the upstream's own response.failed gets nothing added", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up3"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"server_error","message":"boom","param":null}\n\n',
      'event: response.failed\ndata: {"type":"response.failed","sequence_number":3,"response":{"id":"resp_up3","status":"failed","error":{"code":"server_error","message":"boom"}}}\n\n',
    ];
    const { text } = await run(relayOf(events), "responses");
    expect(text).toBe(events.join(""));
  });

  test("a Responses stream that failed before anything was relayed (as one kept alive while its route had not answered): numbered from 0, a response of the gateway's own failed", async () => {
    const { text } = await run(relayOf([], true), "responses");
    expect(text).toStartWith('event: error\ndata: {"type":"error","sequence_number":0,');
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 1,
      response: { id: expect.stringMatching(/^resp_[0-9a-f]{48}$/), status: "failed" },
    });
  });
});

/** The data of a stream's last event, parsed. */
function tail(text: string): unknown {
  const last = text.trim().split("\n\n").at(-1) ?? "";
  return JSON.parse(last.slice(last.indexOf("data: ") + 6));
}
