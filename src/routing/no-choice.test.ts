import { expect, test } from "bun:test";
import type { SseSpan } from "../core/sse-scanner.ts";
import { usageAlone } from "./answer-event.ts";
import { saysNoChoice } from "./relay-event-checks.ts";

const encoder = new TextEncoder();

/** The byte relay's reading of a chunk's data (its one data line, `data: ` before it). */
function relayReads(data: string): boolean {
  const buf = encoder.encode(`data: ${data}\n\n`);
  const span: SseSpan = {
    start: 0,
    end: buf.length,
    nameStart: -1,
    nameEnd: -1,
    dataStart: 6,
    dataEnd: buf.length - 2,
    errorField: false,
  };
  return saysNoChoice(buf, span);
}

const USAGE = '"usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}';

// One reading of "no choice" for the byte relay and for decoded events (answer-event.ts): the key,
// spaces, the colon, spaces, then [] or null. A chunk without the key is not one to either (an
// unnamed event of another dialect, Gemini's, has none); only a translation, which knows it reads
// chat chunks, takes a missing key for no choice (chat-chunk-reader.ts).
test.each([
  ['"choices":[]', true],
  ['"choices" : [ ]', true],
  ['"choices"\t:\tnull', true],
  ['"choices": null', true],
  ['"choices":[{"index":0,"delta":{"content":"hi"}}]', false],
  ['"choices" : [{"index":0,"delta":{}}]', false],
  ['"candidates":[]', false],
])("{%s}: no choice to the relay and to a decoded reading alike (%p)", (choices, none) => {
  const data = `{"id":"c",${choices},${USAGE}}`;
  expect([relayReads(data), usageAlone(data)]).toEqual([none, none]);
});
