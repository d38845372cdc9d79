import { expect, test } from "bun:test";
import { holdCredentials } from "../core/credentials.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { recordedModel, refuseCredentialModel } from "./recorded-model.ts";

const KEY = "mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg";
const UPSTREAM = "upstreamSecretWordForWord42";
/** An OpenAI project key (its body 140 base64url characters) and an Anthropic key (95). */
const PROJECT_KEY =
  "sk-proj-Gt-3R6wheMwmvrnwO4Sq8-xMXKYlWrg0wNtF3f7UXxC3w9G-EW1lVrBctsgU7YtPODBSMW0tUraurTlGsh7CRsjSvJeih9cqM5DzcTlJ4mW0yydIy-eBxVnpNAVfsv6vD5jXdDeAE5Hq";
const ANTHROPIC_KEY =
  "sk-ant-api03-sYHAEQ3Em-slD6O4XPuCfKpZrkv5dEuXTWRqo1t_7EF3wCFNuzfzoeIEGEWWkBYI_k8_j0xm9QXbPYIZ_YNAaiBChrysyAA";

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
    expect(recordedModel(`claude-x-${PROJECT_KEY}`, "matched")).toBe("claude-x-[redacted]");
    expect(recordedModel(`gpt_${ANTHROPIC_KEY}`, undefined)).toBe("gpt_[redacted]");
    expect(recordedModel("claude-sonnet-4-5", "matched")).toBe("claude-sonnet-4-5");
  } finally {
    holdCredentials(holder, []);
  }
});

test("a name longer than any the gateway takes is recorded cut as a message quotes it, its credentials replaced", () => {
  const long = "llama".repeat(1_000);
  expect(recordedModel(long, undefined)).toBe(`${long.slice(0, 256)}…`);
  expect(recordedModel(`${KEY} ${long}`, undefined)).toStartWith("[redacted] llama");
  expect(recordedModel(`${KEY} ${long}`, undefined)).toHaveLength(257);
});

test("a name only a glob or a worker matches is refused when it holds a credential, before any route", () => {
  const refused = (model: string, known: "named" | "matched" | undefined) => {
    try {
      refuseCredentialModel(model, known);
      return undefined;
    } catch (error) {
      return error instanceof GatewayError ? { status: error.status, param: error.param } : error;
    }
  };
  expect(refused(`claude-x-${KEY}`, "matched")).toEqual({ status: 400, param: "model" });
  const holder = {};
  holdCredentials(holder, [UPSTREAM]);
  try {
    expect(refused(`claude-x-${UPSTREAM}`, "matched")).toEqual({ status: 400, param: "model" });
  } finally {
    holdCredentials(holder, []);
  }
  // An OpenAI or Anthropic key glued on as well; `sk` as a word of a name is no key.
  expect(refused(`claude-x-${PROJECT_KEY}`, "matched")).toEqual({ status: 400, param: "model" });
  expect(refused(`gpt_${ANTHROPIC_KEY}`, "matched")).toEqual({ status: 400, param: "model" });
  // A DeepSeek or DashScope key (32 hex) as the name's last segment; 32 hex with more after it is a name's.
  expect(refused("deepseek-chat-sk-3f2a9c1e8b7d4e2f9a1c0d5e6f7a8b9c", "matched")).toEqual({
    status: 400,
    param: "model",
  });
  for (const name of [
    "deepseek-chat-sk-3f2a9c1e8b7d4e2f9a1c0d5e6f7a8b9c-v2",
    "risk-assessment-classifier-v2",
    "task-sk-specific",
    "my-sk-model-2024",
    "claude-3-5-sonnet-sk-test",
  ])
    expect(refused(name, "matched")).toBeUndefined();
  expect(refused("claude-sonnet-4-5", "matched")).toBeUndefined();
  // The config's own name, and one nothing routes (a 404 of its own), are not this refusal's.
  expect(refused(KEY, "named")).toBeUndefined();
  expect(refused(KEY, undefined)).toBeUndefined();
});

test("a name not spelled out keeps its text: only credentials are replaced, so a served one is recorded as sent", () => {
  expect(recordedModel("gpt-4o\tmini  x", undefined)).toBe("gpt-4o\tmini  x");
  expect(recordedModel("meta-llama/Llama-3-8B:ft", "matched")).toBe("meta-llama/Llama-3-8B:ft");
  expect(recordedModel(`gpt 4o ${KEY}`, undefined)).toBe("gpt 4o [redacted]");
  // Longer than any model the gateway takes: never served, cut as a message quotes a caller's value.
  expect(recordedModel("a".repeat(800), undefined)).toBe(`${"a".repeat(256)}…`);
});
