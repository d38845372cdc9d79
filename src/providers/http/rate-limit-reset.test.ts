import { expect, test } from "bun:test";
import { durationMs } from "../../core/go-duration.ts";
import { rateLimitResetMs } from "./rate-limit-reset.ts";

test("Go durations as OpenAI writes its resets, and bare seconds as Azure does", () => {
  expect(durationMs("6m0s")).toBe(360_000);
  expect(durationMs("1s")).toBe(1000);
  expect(durationMs("20ms")).toBe(20);
  expect(durationMs("1h2m3.5s")).toBe(3_723_500);
  expect(durationMs("0s")).toBe(0);
  expect(durationMs("17")).toBe(17_000);
  for (const unreadable of [null, "", "soon", "6m0", "-1s", "1d"])
    expect(durationMs(unreadable)).toBeUndefined();
});

test("the exhausted limit's reset (the later when both are), else the later of the two; Azure's older name last", () => {
  const reset = (headers: Record<string, string>) => rateLimitResetMs(new Headers(headers));
  const both = {
    "x-ratelimit-reset-requests": "6m0s",
    "x-ratelimit-reset-tokens": "644ms",
  };
  expect(
    reset({ ...both, "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "12" }),
  ).toBe(360_000);
  expect(reset({ ...both, "x-ratelimit-remaining-requests": "4", "x-ratelimit-remaining-tokens": "0" })).toBe(
    644,
  );
  expect(reset({ ...both, "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "0" })).toBe(
    360_000,
  );
  // Neither exhausted: the later reset, by which both limits are full again.
  expect(reset(both)).toBe(360_000);
  expect(reset({ "x-ratelimit-reset-tokens": "60" })).toBe(60_000);
  expect(reset({ "x-rate-limit-reset-tokens": "9" })).toBe(9000);
  expect(reset({})).toBeUndefined();
});

test("OpenAI's tokens-per-minute 429, tokens left but fewer than asked: the tokens' reset, not the requests' 120ms", () => {
  // "Rate limit reached … on tokens per min (TPM): Limit 30000, Used 28800, Requested 5000."
  const tpm = new Headers({
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "1200",
    "x-ratelimit-reset-tokens": "57.6s",
  });
  expect(rateLimitResetMs(tpm)).toBe(57_600);
});
