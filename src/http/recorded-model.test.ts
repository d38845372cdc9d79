import { expect, test } from "bun:test";
import { holdCredentials } from "../core/credentials.ts";
import { recordedModel } from "./recorded-model.ts";

const KEY = "mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd";
const UPSTREAM = "upstreamSecretWordForWord42";

test("a name the config spells out is recorded as it came, whatever it looks like", () => {
  expect(recordedModel("gpt-4o-mini", "named")).toBe("gpt-4o-mini");
  // Not even read: the config's own name is no client text.
  expect(recordedModel(KEY, "named")).toBe(KEY);
});

test("a name only a glob matches, or none, is recorded without the credentials it holds", () => {
  const holder = {};
  holdCredentials(holder, [UPSTREAM]);
  try {
    expect(recordedModel(KEY, undefined)).toBe("[redacted]");
    expect(recordedModel(`claude-x-${KEY}`, "matched")).toBe("claude-x-[redacted]");
    expect(recordedModel(UPSTREAM, undefined)).toBe("[redacted]");
    expect(recordedModel(`claude-x-${UPSTREAM}`, "matched")).toBe("claude-x-[redacted]");
    expect(recordedModel("sk-proj-AbCd1234EfGh5678IjKl", undefined)).toBe("[redacted]");
    expect(recordedModel("claude-sonnet-4-5", "matched")).toBe("claude-sonnet-4-5");
  } finally {
    holdCredentials(holder, []);
  }
});
