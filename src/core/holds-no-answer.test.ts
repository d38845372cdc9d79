import { expect, test } from "bun:test";
import { holdsNoAnswer } from "./holds-no-answer.ts";

test("a body without the answer its operation has: none in it", () => {
  expect(holdsNoAnswer("chat", {})).toBe(true);
  expect(holdsNoAnswer("chat", { id: "c", choices: [] })).toBe(true);
  expect(holdsNoAnswer("completions", { choices: null })).toBe(true);
  expect(holdsNoAnswer("messages", { type: "message" })).toBe(true);
  expect(holdsNoAnswer("responses", { id: "resp_1", status: "completed" })).toBe(true);
  expect(holdsNoAnswer("embeddings", { object: "list" })).toBe(true);
});

test("an answer, empty lists but chat's choices included: Claude's end_turn with no content, a background response", () => {
  expect(holdsNoAnswer("chat", { choices: [{ index: 0, message: { content: "" } }] })).toBe(false);
  expect(holdsNoAnswer("messages", { type: "message", content: [], stop_reason: "end_turn" })).toBe(false);
  expect(holdsNoAnswer("responses", { status: "queued", output: [] })).toBe(false);
  expect(holdsNoAnswer("embeddings", { data: [] })).toBe(false);
  expect(holdsNoAnswer("count_tokens", {})).toBe(false);
});
