import { expect, test } from "bun:test";
import { logOptionsOf } from "./log-options.ts";

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
};

test("the flag beats the variable; an empty one counts as unset", () => {
  const env = { MINDGW_LOG_FORMAT: "json", MINDGW_LOG_LEVEL: "warn" };
  expect(logOptionsOf({}, env)).toEqual({ format: "json", level: "warn" });
  expect(logOptionsOf({ logLevel: "debug" }, env)).toEqual({ format: "json", level: "debug" });
  expect(logOptionsOf({}, { MINDGW_LOG_LEVEL: "" })).toEqual({});
});

test("a bad value is refused naming where it came from: the flag, or the variable when no flag was given", () => {
  expect(refusal(() => logOptionsOf({ logLevel: "loud" }, {}))).toBe(
    "--log-level: expected debug | info | warn | error, got loud",
  );
  // Was "--log-level: …" for a flag never given.
  expect(refusal(() => logOptionsOf({}, { MINDGW_LOG_LEVEL: "loud" }))).toBe(
    "MINDGW_LOG_LEVEL: expected debug | info | warn | error, got loud",
  );
  expect(refusal(() => logOptionsOf({}, { MINDGW_LOG_FORMAT: "xml" }))).toBe(
    "MINDGW_LOG_FORMAT: expected text | json, got xml",
  );
});
