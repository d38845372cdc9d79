import { describe, expect, test } from "bun:test";
import { endsAtEvent, sequenceAfter } from "./stream-tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("endsAtEvent", () => {
  test("a blank line, in any of the three line ends, closes the last event", () => {
    for (const text of ["data: a\n\n", "data: a\r\n\r\n", "data: a\r\r", "data: a\n\r\n", ": keep-alive\n\n"])
      expect([text, endsAtEvent(bytes(text))]).toEqual([text, true]);
    expect(endsAtEvent(undefined)).toBe(true);
  });

  test("a line not yet ended, or one line end alone, is inside an event", () => {
    for (const text of ['data: {"a"', "data: a\n", "data: a\r\n", "event: x\ndata: y\n", "\n", ""])
      expect([text, endsAtEvent(bytes(text))]).toEqual([text, false]);
  });
});

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
