import { describe, expect, test } from "bun:test";
import { responseIdIn, sequenceAfter } from "./stream-tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("sequenceAfter", () => {
  test("the number after the last event's sequence_number", () => {
    const events =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{}}\n\n' +
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":17,"delta":"x"}\n\n';
    expect(sequenceAfter(bytes(events))).toBe(18);
    expect(sequenceAfter(bytes('data: {"sequence_number" : 4}\n\n'))).toBe(5);
  });

  test("the key only as a key: in a string it is escaped, as a value it has no colon", () => {
    const text =
      'data: {"type":"a","sequence_number":3}\n\n' +
      'data: {"type":"b","sequence_number":4,"delta":"\\"sequence_number\\":99","note":"sequence_number"}\n\n';
    expect(sequenceAfter(bytes(text))).toBe(5);
    expect(sequenceAfter(bytes('data: {"x":"sequence_number"}\n\n'))).toBeUndefined();
  });

  test("none: nothing relayed yet, a keep-alive comment, an event without a number", () => {
    expect(sequenceAfter(undefined)).toBeUndefined();
    expect(sequenceAfter(bytes(": keep-alive\n\n"))).toBeUndefined();
    expect(sequenceAfter(bytes('data: {"sequence_number":null}\n\n'))).toBeUndefined();
  });
});

describe("responseIdIn", () => {
  test("the id of the response a Responses stream's read opens with, OpenAI's spelling and a spaced one", () => {
    const created =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68b1","object":"response"}}\n\n';
    expect(responseIdIn(bytes(created))).toBe("resp_68b1");
    expect(responseIdIn(bytes('data: {"type": "response.created", "response": {"id": "resp_2"}}\n\n'))).toBe(
      "resp_2",
    );
  });

  test("its id wherever it stands in the response (OpenAI-compatible servers and Azure order keys their way)", () => {
    expect(responseIdIn(bytes('data: {"response":{"object":"response","id":"resp_3"}}\n\n'))).toBe("resp_3");
    const afterComment =
      ': ok\n\nevent: response.created\ndata: {"response":{"status":"in_progress","id":"resp_4"}}\n\n';
    expect(responseIdIn(bytes(afterComment))).toBe("resp_4");
  });

  test("none: no read, a read without a response, a key inside a string", () => {
    expect(responseIdIn(undefined)).toBeUndefined();
    expect(responseIdIn(bytes(": keep-alive\n\n"))).toBeUndefined();
    expect(
      responseIdIn(bytes('data: {"type":"response.output_text.delta","delta":"x"}\n\n')),
    ).toBeUndefined();
    expect(responseIdIn(bytes('data: {"delta":"\\"response\\":{\\"id\\":\\"x\\"}"}\n\n'))).toBeUndefined();
  });
});
