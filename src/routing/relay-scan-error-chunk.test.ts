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
      "a chunk that opens with a null error (some servers' every chunk)",
      '{"error": null,"id":"c","choices":[{"index":0,"delta":{"role":"assistant"}}]}',
    ],
    [
      "text that quotes an error key",
      '{"id":"c","choices":[{"index":0,"delta":{"content":"{\\"error\\": 1}"}}]}',
    ],
  ])("%s is no failure", (_, first) => {
    expect(reported(first, CHUNK, "[DONE]")).toBe(false);
  });
});

// Only an object or words say an error (core/says-error.ts): `false` or `""`, on every chunk of a
// good answer, is none, whether its key comes first (told by the value's first byte) or later.
describe("RelayScan: an error that is neither an object nor words, on every chunk", () => {
  const said = (error: string, first: boolean) => (chunk: string) =>
    first ? `{"error":${error},${chunk.slice(1)}` : `${chunk.slice(0, -1)},"error":${error}}`;
  const ROLE = '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant"}}]}';
  const STOP = '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
  test.each([
    ["false", true],
    ["false", false],
    ['""', true],
    ['""', false],
  ])("%s (its key first: %p) is no failure", (error, first) => {
    const chunk = said(error, first);
    expect(reported(chunk(ROLE), chunk(CHUNK), chunk(STOP), "[DONE]")).toBe(false);
  });

  // The OpenAI SDK's reading (streaming.js `if (data && data.error)`): zero in any spelling is none.
  test.each([["0"], ["0.0"], ["-0"], ["0e5"], ["-0.0E-3"]])(
    "%s, on every chunk, key first or last, is no failure",
    (error) => {
      for (const first of [true, false]) {
        const chunk = said(error, first);
        expect(reported(chunk(ROLE), chunk(CHUNK), chunk(STOP), "[DONE]")).toBe(false);
      }
    },
  );

  // It throws on any other truthy error: `true`, a number, a list (even empty) were relayed as good.
  test.each([["true"], ["1"], ["0.5"], ["-1"], ["1e-3"], ["[]"], ['["x"]']])(
    "%s, its key first or last, fails the stream as the OpenAI SDK does",
    (error) => {
      for (const first of [true, false]) expect(reported(said(error, first)(ROLE), "[DONE]")).toBe(true);
    },
  );

  test("TGI's words first fail the stream, an object first too", () => {
    expect(reported('{"error":"Input validation error: inputs too long","error_type":"validation"}')).toBe(
      true,
    );
    expect(reported(CHUNK, '{"error":{"message":"overloaded"}}', "[DONE]")).toBe(true);
  });
});

/** OpenRouter's error once a model has begun (its error docs' mid-stream shape). */
const OPENROUTER_ERROR =
  '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","provider":"Chutes","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}';

// After the answer's first event, the chunk is found by its `finish_reason: "error"` (searched
// for once a read all the same): the stream failed, its bytes relayed as they came.
describe("RelayScan: OpenRouter's error chunk after the answer's first event", () => {
  test("fails the stream, in its own words, its bytes relayed as they came", () => {
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    const body = encoder.encode([CHUNK, OPENROUTER_ERROR, "[DONE]"].map((d) => `data: ${d}\n\n`).join(""));
    expect(new TextDecoder().decode(scan.take(body))).toBe(new TextDecoder().decode(body));
    expect(scan.reported).toBeDefined();
    expect(scan.reportedEvent?.data).toBe(OPENROUTER_ERROR);
    // Not the attempt's failure before the answer: the stream's head went out.
    expect(scan.reportedFirst).toBeUndefined();
  });

  test("read by read: the error chunk in a read of its own", () => {
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    scan.take(encoder.encode(`data: ${CHUNK}\n\n`));
    scan.take(encoder.encode(`data: ${OPENROUTER_ERROR}\n\ndata: [DONE]\n\n`));
    expect(scan.reported).toBeDefined();
  });

  test.each([
    [
      "a finish that is no error",
      OPENROUTER_ERROR.replace('"finish_reason":"error"', '"finish_reason":"stop"'),
    ],
    [
      "a finish_reason of error with no error object of the chunk's own",
      '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"error"}],"error":null}',
    ],
  ])("%s is no failure", (_, last) => {
    expect(reported(CHUNK, last, "[DONE]")).toBe(false);
  });
});

// Of n choices, each finishes on its own: OpenRouter's error chunk may come after another choice's
// finish, which ends nothing for the stream (`closing` is set at the first).
describe("RelayScan: OpenRouter's error chunk after another choice's finish (n > 1)", () => {
  const choice = (index: number, delta: object, finish: string | null) =>
    `{"id":"c","object":"chat.completion.chunk","choices":[{"index":${index},"delta":${JSON.stringify(delta)},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}`;
  const FIRST_DONE = choice(0, {}, "stop");
  const SECOND = choice(1, { content: "hi" }, null);
  const SECOND_FAILS = OPENROUTER_ERROR.replace('"index":0', '"index":1');

  test("fails the stream, in one read or read by read", () => {
    const stream = [CHUNK, FIRST_DONE, SECOND, SECOND_FAILS, "[DONE]"];
    expect(reported(...stream)).toBe(true);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    for (const data of stream) scan.take(encoder.encode(`data: ${data}\n\n`));
    expect(scan.reportedEvent?.data).toBe(SECOND_FAILS);
  });

  test("both choices finished with no error: no failure", () => {
    expect(reported(CHUNK, FIRST_DONE, SECOND, choice(1, {}, "stop"), "[DONE]")).toBe(false);
  });
});
