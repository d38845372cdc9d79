import { expect, test } from "bun:test";
import { withOpenRouterReset } from "./openrouter-reset.ts";

const NOW = 1_768_300_000_000;
const dayCap = (reset: string | number) => ({
  error: {
    message:
      "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
    code: 429,
    metadata: {
      headers: { "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset },
    },
  },
});

test("the wait until the reset OpenRouter's body states, in ms since the epoch (or in seconds)", () => {
  expect(withOpenRouterReset({}, 429, dayCap("1768348800000"), NOW)).toEqual({
    "retry-after": "48800",
    "retry-after-ms": "48800000",
  });
  expect(withOpenRouterReset({}, 429, dayCap(1_768_348_800), NOW)["retry-after"]).toBe("48800");
});

test("nothing added: a wait the headers stated, a reset passed or unreadable, another status, another body", () => {
  const stated = { "retry-after": "5" };
  expect(withOpenRouterReset(stated, 429, dayCap("1768348800000"), NOW)).toBe(stated);
  expect(withOpenRouterReset({}, 429, dayCap(String(NOW - 1)), NOW)).toEqual({});
  expect(withOpenRouterReset({}, 429, dayCap("soon"), NOW)).toEqual({});
  expect(withOpenRouterReset({}, 400, dayCap("1768348800000"), NOW)).toEqual({});
  expect(withOpenRouterReset({}, 429, { error: { message: "slow down" } }, NOW)).toEqual({});
});
