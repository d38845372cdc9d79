import { describe, expect, test } from "bun:test";
import { openedResponse, sequenceAfter } from "./stream-tail.ts";

const openedId = (opening: Uint8Array | undefined) => openedResponse(opening)?.id;

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

describe("openedResponse", () => {
  test("the id of the response a Responses stream's read opens with, OpenAI's spelling and a spaced one", () => {
    const created =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68b1","object":"response"}}\n\n';
    expect(openedId(bytes(created))).toBe("resp_68b1");
    expect(openedId(bytes('data: {"type": "response.created", "response": {"id": "resp_2"}}\n\n'))).toBe(
      "resp_2",
    );
  });

  test("its id wherever it stands in the response (OpenAI-compatible servers and Azure order keys their way)", () => {
    expect(openedId(bytes('data: {"response":{"object":"response","id":"resp_3"}}\n\n'))).toBe("resp_3");
    const afterComment =
      ': ok\n\nevent: response.created\ndata: {"response":{"status":"in_progress","id":"resp_4"}}\n\n';
    expect(openedId(bytes(afterComment))).toBe("resp_4");
  });

  test("none: no read, a read without a response, a key inside a string", () => {
    expect(openedId(undefined)).toBeUndefined();
    expect(openedId(bytes(": keep-alive\n\n"))).toBeUndefined();
    expect(openedId(bytes('data: {"type":"response.output_text.delta","delta":"x"}\n\n'))).toBeUndefined();
    expect(openedId(bytes('data: {"delta":"\\"response\\":{\\"id\\":\\"x\\"}"}\n\n'))).toBeUndefined();
  });

  test("the previous_response_id it says, as relayed: a string, null, or none said", () => {
    const opening = (response: string) =>
      bytes(`event: response.created\ndata: {"response":${response}}\n\n`);
    expect(openedResponse(opening('{"id":"resp_5","previous_response_id":"resp_4"}'))).toEqual({
      id: "resp_5",
      previous_response_id: "resp_4",
    });
    expect(openedResponse(opening('{"previous_response_id":null,"id":"resp_6"}'))).toEqual({
      id: "resp_6",
      previous_response_id: null,
    });
    expect(openedResponse(opening('{"id":"resp_7"}'))).toEqual({ id: "resp_7" });
  });
});
