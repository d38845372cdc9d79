import { describe, expect, test } from "bun:test";
import { ConfigError } from "./config-error.ts";
import { parseConfig } from "./load-config.ts";

// Bounds below which nothing works are refused at load, naming the field and the least it may be,
// rather than taken and then breaking every request (or connection) they bound.

/** The problems a document is refused with. */
function problems(document: unknown): readonly string[] {
  try {
    parseConfig(document, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

describe("server.idle_timeout: at least 5s", () => {
  // Bun counts an idle bound in 4 s ticks: one of 4 s or less ran out at the next tick, however
  // recently the socket was used (a response written to every 100 ms was cut at 4 s, its last
  // bytes with it), and `1s` was accepted.
  test.each(["1s", "4s", "4999ms"])("%s is refused, naming the field and the floor", (tooShort) => {
    expect(problems({ server: { idle_timeout: tooShort } })).toEqual([
      "server.idle_timeout: at least 5s: Bun counts it in 4 s ticks, and a bound of 4 s or less closes a connection at the next tick, even one being written to",
    ]);
  });

  test("5s is taken, and 255s, Bun's most", () => {
    expect(parseConfig({ server: { idle_timeout: "5s" } }, {}).server.idle_timeout).toBe(5000);
    expect(parseConfig({ server: { idle_timeout: "255s" } }, {}).server.idle_timeout).toBe(255_000);
    expect(problems({ server: { idle_timeout: "256s" } })).toEqual(["server.idle_timeout: at most 255s"]);
  });
});

describe("sizes below which nothing passes: at least 64KB each, as server.max_body is at least 1KB", () => {
  // Each was taken at 0 (`config check` printed 0B), and then: every whole answer a 502
  // (max_upstream_body), every stream whose line came in two reads cut (max_sse_line), every
  // worker closed at its register, 1009 (max_message), every event dropped (max_queue_bytes).
  const hook = { url: "https://hooks.example.com/in", secret: "0123456789abcdef" };
  const FIELDS: readonly [path: string, document: (value: unknown) => object][] = [
    ["routing.max_sse_line", (value) => ({ routing: { max_sse_line: value } })],
    ["routing.max_upstream_body", (value) => ({ routing: { max_upstream_body: value } })],
    ["workers.max_message", (value) => ({ workers: { max_message: value } })],
    [
      "events.webhooks[0].max_queue_bytes",
      (value) => ({ events: { webhooks: [{ ...hook, max_queue_bytes: value }] } }),
    ],
    [
      "events.redis_stream.max_queue_bytes",
      (value) => ({ events: { redis_stream: { url: "redis://10.0.0.5:6379", max_queue_bytes: value } } }),
    ],
  ];

  test.each(FIELDS)(
    "%s: 0 and anything under 64KB are refused, naming the field and the floor",
    (path, document) => {
      for (const [tooSmall, shown] of [
        [0, "0B"],
        ["0KB", "0B"],
        ["4KB", "4KB"],
        [64 * 1024 - 1, "65535B"],
      ] as const)
        expect(problems(document(tooSmall))).toEqual([
          `${path}: must be at least 64KB, got ${shown} (0 is not "no bound": this bound cannot be lifted)`,
        ]);
    },
  );

  test.each(FIELDS)("%s: 64KB is taken", (_, document) => {
    expect(() => parseConfig(document("64KB"), {})).not.toThrow();
  });

  test("shadow.max_answer may be 0: a pair then keeps none of an answer's text (answers are compared whole)", () => {
    expect(parseConfig({ shadow: { max_answer: 0 } }, {}).shadow.max_answer).toBe(0);
  });
});
