import { describe, expect, spyOn, test } from "bun:test";
import { SseDecoder } from "../core/sse.ts";
import { SseScanner } from "../core/sse-scanner.ts";
import { endsStream, malformed, namesRole, reportsError } from "./relay-event-checks.ts";
import { RelayScan } from "./relay-scan.ts";

const encoder = new TextEncoder();

/** What the three checks say of each event, run on every event as they were before the shortcut. */
function checked(bytes: Uint8Array): { ended: boolean; reported: boolean; brokenAt: number } {
  const seen = { ended: false, reported: false, brokenAt: -1 };
  new SseScanner().scan(bytes, {
    onSpan(span) {
      if (span.dataStart === -1 || seen.brokenAt !== -1) return;
      if (endsStream(bytes, span)) seen.ended = true;
      else if (malformed(bytes, span, 4096)) {
        seen.brokenAt = span.start;
        return;
      }
      if (reportsError(bytes, span)) seen.reported = true;
    },
  });
  return seen;
}

function scanned(bytes: Uint8Array): { ended: boolean; reported: boolean; brokenAt: number } {
  const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
  scan.take(bytes);
  return { ended: scan.ended, reported: scan.reported !== undefined, brokenAt: scan.brokenAt };
}

// Data values whose first bytes the everyday-event shortcut reads, and the ones it hands on.
const DATA = [
  '{"id":"c","choices":[]}',
  '{"id":"c","choices":[]} ',
  // Cut off mid-write.
  '{"id":"c","choices":[{"delta":{"content":" wor',
  '{"id":"c","choices":[{"delta":{}',
  '{"error":{"message":"x"',
  '{"error":{"message":"x"}}',
  '{"e":1}',
  '{"errors":1}',
  '{ "error": {"message":"x"}}',
  '{\t"error":1}',
  "{}",
  "{",
  '{"',
  "[DONE]",
  " [DONE]",
  "[DONE] ",
  "[1]",
  "x",
  "",
  '"error"',
];
const NAMES = [undefined, "error", "message_stop", "response.completed", "ping", "e"];

describe("RelayScan: the everyday event's shortcut", () => {
  test("every event's end, error and malformed verdicts are the three checks' own", () => {
    let cases = 0;
    for (const data of DATA) {
      for (const name of NAMES) {
        const event = `${name === undefined ? "" : `event: ${name}\n`}data: ${data}\n\n`;
        // Alone, and after an everyday event (the verdicts of a later event too).
        for (const stream of [event, `data: {"id":"a"}\n\n${event}`]) {
          const bytes = encoder.encode(stream);
          expect({ stream, ...scanned(bytes) }).toEqual({ stream, ...checked(bytes) });
          cases++;
        }
      }
    }
    expect(cases).toBe(DATA.length * NAMES.length * 2);
  });
});

describe("RelayScan: the role a chat chunk names", () => {
  test("is looked for in the event's own data: a role in a later event of the read, or in a field's text, is not its", () => {
    const stream = [
      'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
      'data: {"id":"c","choices":[{"index":0,"delta":{"content":"a \\"role\\": it"}}]}\n\n',
      'data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
      'event: message_start\ndata: {"role":"assistant"}\n\n',
      'data: {"id":"c",\ndata: "role":"assistant"}\n\n',
    ].join("");
    const bytes = encoder.encode(stream);
    const named: boolean[] = [];
    new SseScanner().scan(bytes, { onSpan: (span) => named.push(namesRole(bytes, span)) });
    // The quoted key's bytes: in an escaped string they are `\"role\"`, no key's.
    expect(named).toEqual([false, false, true, true, false]);
  });
});

describe("RelayScan: the events it decodes", () => {
  test("those that carry a usage object, and a named end event without one (response.failed's usage is null)", () => {
    const seen: string[] = [];
    const scan = new RelayScan({
      maxLine: 4096,
      onUsage: (event) => {
        seen.push(event.event ?? event.data);
        return true;
      },
    });
    const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    scan.take(
      encoder.encode(
        [
          event("response.created", { type: "response.created", response: { usage: null } }),
          event("response.output_text.delta", { type: "response.output_text.delta", delta: "hi" }),
          event("response.failed", { type: "response.failed", response: { status: "failed", usage: null } }),
        ].join(""),
      ),
    );
    expect(seen).toEqual(["response.failed"]);
    expect(scan.ended).toBe(true);
    // An unnamed end ([DONE]) is not decoded: it carries nothing.
    const chat: string[] = [];
    new RelayScan({ maxLine: 4096, onUsage: (e) => chat.push(e.data) > 0 }).take(
      encoder.encode("data: [DONE]\n\n"),
    );
    expect(chat).toEqual([]);
  });

  test("a chat chunk that names the role, only when a read ends at it or the event after it hangs on it: the answer's first event behind it in the same read spares the decode", () => {
    const role =
      '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}';
    // Ollama names the role in every chunk: one with text is the answer's first event all the same.
    const roleAndText = '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}';
    const ROLE = `data: ${role}\n\n`;
    const FIRST = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
    const ERROR = 'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n';
    const parses = spyOn(JSON, "parse");
    /** The role chunks decoded taking `reads` in turn, and whether the answer began, and failed before it. */
    const decodedOver = (reads: string[]) => {
      parses.mockClear();
      const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
      for (const read of reads) scan.take(encoder.encode(read));
      scan.last();
      const decoded = parses.mock.calls
        .map(([data]) => data)
        .filter((data) => data === role || data === roleAndText);
      return { decoded, answering: scan.answering, failedFirst: scan.reportedFirst !== undefined };
    };
    try {
      // At every split: decoded only when the first read ends between the chunk and the answer's first event.
      const whole = `${ROLE}${FIRST}`;
      for (let at = 0; at <= whole.length; at++) {
        const endsAtChunk = at >= ROLE.length && at < whole.length;
        expect([at, decodedOver([whole.slice(0, at), whole.slice(at)])]).toEqual([
          at,
          { decoded: endsAtChunk ? [role] : [], answering: true, failedFirst: false },
        ]);
      }
      // An error after it fails the attempt only if the chunk only opened the answer: decoded.
      expect(decodedOver([`${ROLE}${ERROR}`])).toEqual({
        decoded: [role],
        answering: true,
        failedFirst: true,
      });
      expect(decodedOver([`data: ${roleAndText}\n\n${ERROR}`])).toEqual({
        decoded: [roleAndText],
        answering: true,
        failedFirst: false,
      });
      // A chunk that names the role after it: both decoded, the second begins the answer.
      expect(decodedOver([`${ROLE}data: ${roleAndText}\n\n`])).toEqual({
        decoded: [role, roleAndText],
        answering: true,
        failedFirst: false,
      });
      // The read ends at the chunk: it only opens the answer, which has not begun.
      expect(decodedOver([ROLE])).toEqual({ decoded: [role], answering: false, failedFirst: false });
    } finally {
      parses.mockRestore();
    }
  });
});

describe("RelayScan: chunks without a choice before the answer", () => {
  // Azure's first chunk (its prompt's filter results), a chunk of usage alone, MiniMax's null.
  const NONE = [
    'data: {"id":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}\n\n',
    'data: {"id":"c","choices": [ ],"usage":{"prompt_tokens":5,"completion_tokens":0}}\n\n',
    'data: {"id":"c","choices":null}\n\n',
  ].join("");
  const ROLE = 'data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n';
  const FIRST = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
  const DONE = "data: [DONE]\n\n";
  /** Whether the answer began over `stream` read in two reads split at `at`, and what went out. */
  function answered(stream: string, at: number): [boolean, string] {
    const bytes = encoder.encode(stream);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    const out = [scan.take(bytes.subarray(0, at)), scan.take(bytes.subarray(at)), scan.last()];
    return [scan.answering, out.map((piece) => (piece ? new TextDecoder().decode(piece) : "")).join("")];
  }

  test("are held as the answer's opening, at every split: the stream that ends with them alone (or with [DONE] alone) had no answer; a role chunk or the answer's first event after them begins it", () => {
    for (const [stream, begins] of [
      [`${NONE}${DONE}`, false],
      // Spaces before the colon, as JSON allows: the same chunk (a translation decodes it so).
      [`data: {"id":"c","choices" : []}\n\ndata: {"id":"c","choices"\t:null}\n\n${DONE}`, false],
      [DONE, false],
      [`${NONE}${FIRST}${DONE}`, true],
      [`${NONE}${ROLE}${DONE}`, true],
      // A role chunk, then [DONE], no finish: an empty answer, not none (RELIABILITY.md says why).
      [`${ROLE}${DONE}`, true],
    ] as const) {
      for (let at = 0; at <= stream.length; at++)
        expect([stream, at, answered(stream, at)]).toEqual([stream, at, [begins, stream]]);
    }
  });
});

describe("RelayScan: an error event mid-stream, without the gateway's upstream account", () => {
  const CONTENT = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n';
  /** What the client gets of `stream` read in two reads split at `at` (the body's end after). */
  function relayed(stream: string, at: number): string {
    const bytes = encoder.encode(stream);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    const out = [scan.take(bytes.subarray(0, at)), scan.take(bytes.subarray(at)), scan.last()];
    return out.map((piece) => (piece ? new TextDecoder().decode(piece) : "")).join("");
  }

  test("OpenAI's request id in its words and Anthropic's request_id are left out; every other byte as it came", () => {
    const openai = {
      error: {
        message:
          "The server had an error while processing your request. Sorry about that! (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)",
        type: "server_error",
        param: null,
        code: null,
      },
    };
    const told = {
      error: {
        ...openai.error,
        message:
          "The server had an error while processing your request. Sorry about that! (Please include the request ID (the upstream's request id) in your message.)",
      },
    };
    const anthropicError = {
      type: "error",
      error: { details: null, type: "overloaded_error", message: "Overloaded" },
      request_id: "req_011CbrFTcXhtiMzr3s6EocF7",
    };
    const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
    // OpenAI's server error on the Responses API: the failed response's error names the request.
    const ITEM = `event: response.output_item.added\ndata: ${JSON.stringify({ type: "response.output_item.added", item: { type: "message" } })}\n\n`;
    const failed = (message: string) =>
      `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: { id: "resp_1", status: "failed", error: { code: "server_error", message }, usage: null } })}\n\n`;
    const cases: [string, string][] = [
      [`${CONTENT}data: ${JSON.stringify(openai)}\n\n`, `${CONTENT}data: ${JSON.stringify(told)}\n\n`],
      [
        `${PING}event: error\ndata: ${JSON.stringify(anthropicError)}\n\n`,
        `${PING}event: error\ndata: ${JSON.stringify({ type: "error", error: anthropicError.error })}\n\n`,
      ],
      [`${ITEM}${failed(openai.error.message)}`, `${ITEM}${failed(told.error.message)}`],
    ];
    for (const [stream, expected] of cases)
      for (let at = 0; at <= stream.length; at++) expect([at, relayed(stream, at)]).toEqual([at, expected]);
  });

  test("llama.cpp's `error:` field goes out as the OpenAI error chunk it stands for, scrubbed as one, at every split: the stream's own failure", () => {
    const failure = '{"code":500,"message":"llama_decode failed: out of KV cache","type":"server_error"}';
    const cases: [string, string][] = [
      [
        `${CONTENT}error: ${failure}\n\ndata: [DONE]\n\n`,
        `${CONTENT}data: {"error":${failure}}\n\ndata: [DONE]\n\n`,
      ],
      [
        `${CONTENT}error: {"code":500,"message":"failed (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)"}\n\n`,
        `${CONTENT}data: {"error":{"code":500,"message":"failed (Please include the request ID (the upstream's request id) in your message.)"}}\n\n`,
      ],
    ];
    for (const [stream, expected] of cases)
      for (let at = 0; at <= stream.length; at++) expect([at, relayed(stream, at)]).toEqual([at, expected]);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    scan.take(encoder.encode(`${CONTENT}error: ${failure}\n\n`));
    expect([scan.reported?.message, scan.reportedUnended, scan.reportedFirst]).toEqual([
      "the stream ended with an error event",
      { data: `{"error":${failure}}` },
      undefined,
    ]);
    // The stream's first event: its failure before the answer, as a first error chunk's.
    const first = new RelayScan({ maxLine: 4096, onUsage: () => true });
    first.take(encoder.encode(`error: ${failure}\n\ndata: [DONE]\n\n`));
    expect(first.reportedFirst).toEqual({ data: `{"error":${failure}}` });
  });

  test("an `error:` field of plain words is the stream's failure in them, not a malformed event; one after an event's data is dropped, as a client's reader drops it", () => {
    const words = `${CONTENT}error: model crashed\n\ndata: [DONE]\n\n`;
    const chunk = '{"error":{"message":"model crashed"}}';
    for (let at = 0; at <= words.length; at++)
      expect([at, relayed(words, at)]).toEqual([at, `${CONTENT}data: ${chunk}\n\ndata: [DONE]\n\n`]);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    scan.take(encoder.encode(words));
    expect([scan.brokenAt, scan.reported?.message, scan.reportedUnended]).toEqual([
      -1,
      "the stream ended with an error event",
      { data: chunk },
    ]);
    // The event is its data's: the field after it is no failure (the decoder reads it so: sse.ts).
    const after = `${CONTENT}data: {"a":1}\nerror: {"code":500,"message":"x"}\n\ndata: [DONE]\n\n`;
    for (let at = 0; at <= after.length; at++) expect([at, relayed(after, at)]).toEqual([at, after]);
    const quiet = new RelayScan({ maxLine: 4096, onUsage: () => true });
    quiet.take(encoder.encode(after));
    expect([quiet.brokenAt, quiet.reported, quiet.ended]).toEqual([-1, undefined, true]);
  });

  test("a `data:` line after an `error:` field in one event is dropped: the event is the error's, relayed as its chunk and decoded alike (sse.ts)", () => {
    const failure = '{"code":500,"message":"x"}';
    const stream = `${CONTENT}error: ${failure}\ndata: {"y":1}\n\ndata: [DONE]\n\n`;
    const chunk = `{"error":${failure}}`;
    for (let at = 0; at <= stream.length; at++)
      expect([at, relayed(stream, at)]).toEqual([at, `${CONTENT}data: ${chunk}\n\ndata: [DONE]\n\n`]);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    scan.take(encoder.encode(stream));
    expect([scan.reported?.message, scan.reportedUnended]).toEqual([
      "the stream ended with an error event",
      { data: chunk },
    ]);
    // The decoder the translated relays read events with says the same event.
    const decoded = new SseDecoder(4096).push(encoder.encode(stream));
    expect(decoded.map((event) => event.data).slice(-2)).toEqual([chunk, "[DONE]"]);
  });

  test("an error event that names no account, and every stream without one, go out as the very read", () => {
    const plain = `${CONTENT}data: {"error":{"message":"model overloaded","type":"server_error"}}\n\n`;
    const bytes = encoder.encode(plain);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true });
    expect(scan.take(bytes)).toBe(bytes);
    expect(scan.reported).toBeDefined();
  });
});

describe("RelayScan: the previous_response_id of a chain the gateway expanded", () => {
  /** What the client gets of `stream` read in two reads split at `at`, said as continuing `resp_prev`. */
  function relayed(stream: string, at: number): string {
    const bytes = encoder.encode(stream);
    const scan = new RelayScan({ maxLine: 4096, onUsage: () => true, previousId: "resp_prev" });
    const out = [scan.take(bytes.subarray(0, at)), scan.take(bytes.subarray(at)), scan.last()];
    return out.map((piece) => (piece ? new TextDecoder().decode(piece) : "")).join("");
  }
  const event = (name: string, data: string) => `event: ${name}\ndata: ${data}\n\n`;

  test("each response's null is said as the caller's id, at every split; the same key inside a text, and a value other than null, go as they came", () => {
    const created = (previous: string) =>
      event(
        "response.created",
        `{"type":"response.created","response":{"id":"resp_2","previous_response_id": ${previous},"usage":null}}`,
      );
    // The key in a delta's text is escaped: never taken for the response's.
    const delta = event(
      "response.output_text.delta",
      JSON.stringify({ type: "response.output_text.delta", delta: '{"previous_response_id":null}' }),
    );
    const failed = (previous: string, message: string) =>
      event(
        "response.failed",
        `{"type":"response.failed","response":{"id":"resp_2","previous_response_id":${previous},"status":"failed","error":{"code":"server_error","message":"${message}"},"usage":null}}`,
      );
    // Scrubbed of the upstream's request id as well: both edits are made.
    const named = "Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.";
    const told = "Please include the request ID (the upstream's request id) in your message.";
    const stream = `${created("null")}${delta}${failed("null", named)}`;
    const expected = `${created('"resp_prev"')}${delta}${failed('"resp_prev"', told)}`;
    for (let at = 0; at <= stream.length; at++) expect([at, relayed(stream, at)]).toEqual([at, expected]);
    const said = `${created('"resp_other"')}${delta}`;
    for (let at = 0; at <= said.length; at++) expect([at, relayed(said, at)]).toEqual([at, said]);
  });

  test("the same key nested before the response's own (a tool's schema, an item's, the event's own) goes as it came, and the response's null is said all the same, at every split", () => {
    // An upstream that writes `output` and `tools` before `previous_response_id`: an
    // `mcp_list_tools` item's schema and a function tool's parameters name the key too.
    const schema =
      '{"type":"object","properties":{"previous_response_id":{"type":"string"}},"examples":[{"previous_response_id":null}]}';
    const response = (previous: string) =>
      `{"id":"resp_2","output":[{"type":"mcp_list_tools","tools":[{"name":"chain","input_schema":${schema}}]}],"tools":[{"type":"function","name":"chain","parameters":${schema}}],"previous_response_id":${previous},"usage":null}`;
    const created = (previous: string) =>
      event(
        "response.created",
        `{"type":"response.created","meta":{"previous_response_id":null},"response":${response(previous)}}`,
      );
    const completed = (previous: string) =>
      event("response.completed", `{"type":"response.completed","response":${response(previous)}}`);
    // An item's own key, in an event that carries no response, and an event of no `response.` name.
    const item = event(
      "response.output_item.done",
      '{"type":"response.output_item.done","item":{"type":"mcp_list_tools","previous_response_id":null}}',
    );
    const other = event("keepalive", '{"response":{"previous_response_id":null}}');
    const stream = `${created("null")}${item}${other}${completed("null")}`;
    const expected = `${created('"resp_prev"')}${item}${other}${completed('"resp_prev"')}`;
    for (let at = 0; at <= stream.length; at++) expect([at, relayed(stream, at)]).toEqual([at, expected]);
    // The response's own says another id: nothing is edited, the nested nulls least of all.
    const said = `${created('"resp_other"')}${completed('"resp_other"')}`;
    for (let at = 0; at <= said.length; at++) expect([at, relayed(said, at)]).toEqual([at, said]);
  });

  test("without one, every read goes out as the very bytes, its null as it came", () => {
    const bytes = encoder.encode(
      event("response.created", '{"type":"response.created","response":{"previous_response_id":null}}'),
    );
    expect(new RelayScan({ maxLine: 4096, onUsage: () => true }).take(bytes)).toBe(bytes);
  });
});

describe("RelayScan: the usage chunk a caller that asked for one is owed", () => {
  const chunk = (id: string, delta: string, finish: string | null) =>
    `data: {"id":"${id}","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":${delta},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
  const FIRST = chunk("first", '{"content":"Hi"}', null);
  const FINISH = chunk("finish", "{}", "stop");
  const DONE = "data: [DONE]\n\n";

  /** What the client gets of `stream` read in two reads split at `at`, the body's end after. */
  function relayed(stream: string, at: number): string {
    const bytes = encoder.encode(stream);
    const scan = new RelayScan({
      maxLine: 4096,
      onUsage: () => true,
      usageAsked: "chat.completion.chunk",
      recordEstimate: (events) => ({ inputTokens: 5, outputTokens: events }),
    });
    const out = [scan.take(bytes.subarray(0, at)), scan.take(bytes.subarray(at)), scan.last()];
    const closing = scan.closing && scan.ended ? undefined : scan.closing;
    if (closing) out.push(scan.closeRecordingOwedUsage(closing));
    return out.map((piece) => (piece ? new TextDecoder().decode(piece) : "")).join("");
  }

  /** The owed chunk in what the client got: its id (the finish chunk's, else the first's) and tokens. */
  function owed(text: string): { id: string; tokens: number } | undefined {
    const data = text
      .split("\n\n")
      .map((event) => event.slice("data: ".length))
      .find((data) => data.includes('"usage"'));
    if (data === undefined) return undefined;
    const parsed = JSON.parse(data);
    return { id: parsed.id, tokens: parsed.usage.completion_tokens };
  }

  test("says the finish chunk's id however the reads split the stream, before [DONE] or at the end the relay adds", () => {
    for (const stream of [`${FIRST}${FINISH}${DONE}`, `${FIRST}${FINISH}`]) {
      for (let at = 0; at <= stream.length; at++) {
        expect([at, owed(relayed(stream, at))]).toEqual([at, { id: "finish", tokens: 2 }]);
      }
    }
  });

  test("says the first chunk's id where no finish chunk came, however the reads split the stream", () => {
    const stream = `${FIRST}${chunk("later", '{"content":"!"}', null)}${DONE}`;
    for (let at = 0; at <= stream.length; at++) {
      expect([at, owed(relayed(stream, at))]).toEqual([at, { id: "first", tokens: 2 }]);
    }
  });

  test("is not owed once the upstream sent a usage object, in the read of the finish chunk or after it", () => {
    const usage = 'data: {"id":"u","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n';
    const stream = `${FIRST}${FINISH}${usage}${DONE}`;
    for (let at = 0; at <= stream.length; at++) {
      const text = relayed(stream, at);
      expect([at, owed(text)]).toEqual([at, { id: "u", tokens: 2 }]);
      expect(text.split('"usage"').length).toBe(2);
    }
  });
});
