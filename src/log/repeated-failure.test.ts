import { expect, test } from "bun:test";
import { heldClocks } from "../testing/stepped-clocks.ts";
import type { Logger } from "./logger.ts";
import { REPEATED_FAILURE_MS, repeatedFailure } from "./repeated-failure.ts";

function recording(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => void lines.push(line);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

test("a failure every second is one line at once with its cause, then one every 30 s with the count", () => {
  const { logger, lines } = recording();
  let now = 1_000_000;
  const failed = repeatedFailure(logger, "spend flush", { now: () => now });
  const error = Object.assign(new Error("disk I/O error"), { name: "AuditThreadError" });
  for (let second = 0; second < 65; second++) {
    failed(error);
    now += 1000;
  }
  expect(lines).toEqual([
    "spend flush failed: AuditThreadError: disk I/O error",
    "spend flush failed (30 times in the last 30 s): AuditThreadError: disk I/O error",
    "spend flush failed (30 times in the last 30 s): AuditThreadError: disk I/O error",
  ]);
});

test("a failure after a quiet spell is said at once, as it is", () => {
  const { logger, lines } = recording();
  let now = 0;
  const failed = repeatedFailure(logger, "key cache refresh", { now: () => now });
  failed(new Error("SQLITE_BUSY"));
  now = 120_000;
  failed("lost");
  expect(lines).toEqual(["key cache refresh failed: Error: SQLITE_BUSY", "key cache refresh failed: lost"]);
});

test("a failure whose words cannot be read is said in the gateway's words; a logger that throws while saying one still holds the next back", () => {
  const said: string[] = [];
  const throwing = (line: string) => {
    said.push(line);
    throw new Error("log shipper down");
  };
  let now = 0;
  const failed = repeatedFailure({ warn: throwing }, "an event sink's publish", { now: () => now });
  expect(() => failed(Object.create(null))).toThrow("log shipper down");
  now = 1_000;
  failed(new Error("again"));
  now = 31_000;
  expect(() => failed(new Error("again"))).toThrow("log shipper down");
  expect(said).toEqual([
    "an event sink's publish failed: an error whose words cannot be read",
    "an event sink's publish failed (2 times in the last 31 s): Error: again",
  ]);
});

test("a step back of the wall clock (NTP, a VM resumed) silences no failure for the step: the next line comes `everyMs` of the node's own time later", () => {
  // Both clocks held: no real time passes between two calls, however slow the machine.
  const clocks = heldClocks(Date.UTC(2025, 0, 1));
  try {
    const { logger, lines } = recording();
    const failed = repeatedFailure(logger, "key cache refresh");
    const error = new Error("database is locked");
    failed(error);
    clocks.step(-600_000);
    clocks.pass(REPEATED_FAILURE_MS - 1);
    failed(error);
    expect(lines).toHaveLength(1);
    clocks.pass(1);
    failed(error);
    expect(lines).toHaveLength(2);
  } finally {
    clocks.restore();
  }
});
