import { describe, expect, test } from "bun:test";
import { RelayScan } from "./relay-scan.ts";

const encoder = new TextEncoder();

/** Whether the relay reports the stream failed, its events' data given in order. */
function reported(...data: string[]): boolean {
  const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
  scan.take(encoder.encode(data.map((line) => `data: ${line}\n\n`).join("")));
  return scan.reported !== undefined;
}

const CHUNK = '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}';

// Before the answer's first event, a chunk whose `error` is not its first key is an error only
// when that key is the chunk's own, an object: the bytes `"error":` alone are no verdict.
describe("RelayScan: an error chunk before the answer's first event", () => {
  test("OpenRouter's, its error after id and object, fails the stream", () => {
    expect(
      reported(
        '{"id":"c","object":"chat.completion.chunk","error":{"code":429,"message":"Rate limit exceeded: free-models-per-day"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}',
      ),
    ).toBe(true);
  });

  test.each([
    [
      "Azure's first chunk saying its content filter is down (the answer goes on unfiltered)",
      '{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"error":{"code":"content_filter_error","message":"The contents are not filtered"}}}]}',
    ],
    [
      "a role chunk with a null error",
      '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant"}}],"error":null}',
    ],
    [
      "text that quotes an error key",
      '{"id":"c","choices":[{"index":0,"delta":{"content":"{\\"error\\": 1}"}}]}',
    ],
  ])("%s is no failure", (_, first) => {
    expect(reported(first, CHUNK, "[DONE]")).toBe(false);
  });
});
