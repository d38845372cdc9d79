import { expect, test } from "bun:test";
import { describeError, messageOf, UNREADABLE_ERROR } from "./describe-error.ts";

test("a thrown value whose words cannot be read is said in the gateway's words, never a throw of its own", () => {
  const getterThrows = new Error("never read");
  Object.defineProperty(getterThrows, "message", {
    get() {
      throw new Error("message getter broke");
    },
  });
  const toStringThrows = {
    toString() {
      throw new Error("toString broke");
    },
  };
  for (const error of [Object.create(null), getterThrows, toStringThrows]) {
    expect(describeError(error)).toBe(UNREADABLE_ERROR);
    expect(messageOf(error)).toBe(UNREADABLE_ERROR);
  }
  // The readable are said as before.
  expect(describeError(new TypeError("x token=sk-abcdefghijklmnopqrstuvwx"))).toBe(
    "TypeError: x token=[redacted]",
  );
  expect(messageOf("lost")).toBe("lost");
});
