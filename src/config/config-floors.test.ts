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
