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

test("a sign-in's code and state in a URL's query are redacted, the rest of the URL kept", () => {
  const url = "https://gw.example/admin/auth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&x=1";
  expect(describeError(new Error(`fetch ${url} failed`))).toBe(
    "Error: fetch https://gw.example/admin/auth/callback?code=[redacted]&state=[redacted]&x=1 failed",
  );
  // Short or wordy values too: a code's shape is the provider's; `code` outside a query is a word.
  expect(describeError(new Error("GET /cb?state=abc#code=xyz failed, error code=42"))).toBe(
    "Error: GET /cb?state=[redacted]#code=[redacted] failed, error code=42",
  );
});
