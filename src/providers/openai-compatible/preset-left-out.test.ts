import { expect, test } from "bun:test";
import { adaptDialect } from "../../routing/adapt-dialect.ts";
import type { Provider } from "../provider.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";
import { presetLeavesOut } from "./preset-left-out.ts";

// What a provider sends a chat call without is named, whichever of its preset's quirks leaves it
// out: Mistral's schema (mistral-left-out.ts) and an API version's unknown fields
// (unknown-fields-left-out.ts, Azure's before 2024-09-01-preview) alike, when both apply.

const provider = (preset: object) =>
  createOpenAICompatibleProvider({ name: "p", baseUrl: "http://127.0.0.1:1/v1", preset });
const chat = (fields: object) => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...fields });
const droppedBy = (preset: object, fields: object) =>
  adaptDialect("chat", chat(fields), provider(preset), "m").dropped ?? [];

test("a preset with both Mistral's schema and unknown fields names what each leaves out", () => {
  const both = { mistralChat: true, unknownFields: ["stream_options", "parallel_tool_calls"] };
  expect(droppedBy(both, { user: "u", parallel_tool_calls: false })).toEqual(["user", "parallel_tool_calls"]);
});

test("an old Azure API version's call names parallel_tool_calls: false, and nothing for a body without it", () => {
  const old = { legacyMaxTokens: true, unknownFields: ["stream_options", "parallel_tool_calls"] };
  expect(droppedBy(old, { parallel_tool_calls: false })).toEqual(["parallel_tool_calls"]);
  expect(droppedBy(old, { stream: true, stream_options: { include_usage: true } })).toEqual([]);
  expect(droppedBy(old, {})).toEqual([]);
});

test("an old Azure API version's namer is not called for a call that sets none of its fields: most calls are sent as they are", () => {
  const old = { legacyMaxTokens: true, unknownFields: ["stream_options", "parallel_tool_calls"] };
  // stream_options, which the gateway asks of every stream, is never named, so not looked for.
  expect(presetLeavesOut(old).leavesOutFields).toEqual(["parallel_tool_calls"]);
  const real = provider(old);
  let looked = 0;
  const counted: Provider = {
    ...real,
    leavesOut: (body, dropped) => {
      looked += 1;
      real.leavesOut?.(body, dropped);
    },
  };
  const dropped = (fields: object) => adaptDialect("chat", chat(fields), counted, "m").dropped ?? [];
  expect(dropped({ stream: true, stream_options: { include_usage: true } })).toEqual([]);
  expect(dropped({})).toEqual([]);
  expect(looked).toBe(0);
  expect(dropped({ parallel_tool_calls: false })).toEqual(["parallel_tool_calls"]);
  expect(looked).toBe(1);
});
