import { describe, expect, test } from "bun:test";
import type { RequestRow } from "./tail-store.ts";
import { initialUiState, uiReducer } from "./ui-state.ts";

const row = (requestId: string, seq: number): RequestRow => ({
  seq,
  requestId,
  startedAt: 0,
  keyId: null,
  keyName: null,
  model: null,
  route: null,
  app: null,
  status: 200,
  ttfbMs: null,
  latencyMs: 1,
  inputTokens: 0,
  outputTokens: 0,
  record: null,
  admin: false,
});
// "a" twice: a caller may send one request id with several requests; each row is its own.
const visible = [row("a", 3), row("b", 2), row("a", 1)];

describe("uiReducer", () => {
  test("pause freezes the rows and remembers the count; resume thaws", () => {
    const paused = uiReducer(initialUiState({}), { type: "togglePause", rows: visible, nextSeq: 42 });
    expect(paused.frozen).toBe(visible);
    expect(paused.pausedAt).toBe(42);
    expect(uiReducer(paused, { type: "togglePause", rows: [], nextSeq: 50 }).frozen).toBeNull();
  });

  test("the prompt starts from the current filter, applies on submit, keeps errors open", () => {
    let state = uiReducer(initialUiState({ model: "gpt-4o" }), { type: "openPrompt" });
    expect(state.prompt?.text).toBe("model:gpt-4o");
    state = uiReducer(state, { type: "promptType", text: " status:5xy" });
    state = uiReducer(state, { type: "promptSubmit" });
    expect(state.prompt?.error).toContain("status");
    state = uiReducer(state, { type: "promptBackspace" });
    state = uiReducer(state, { type: "promptType", text: "x" });
    state = uiReducer(state, { type: "promptSubmit" });
    expect(state.prompt).toBeNull();
    expect(state.filter).toEqual({ model: "gpt-4o", status: "5xx" });
  });

  test("cancel leaves the filter alone", () => {
    let state = uiReducer(initialUiState({ key: "alice" }), { type: "openPrompt" });
    state = uiReducer(state, { type: "promptType", text: "zzz" });
    state = uiReducer(state, { type: "promptCancel" });
    expect(state.prompt).toBeNull();
    expect(state.filter).toEqual({ key: "alice" });
  });

  test("arrows move within the visible rows and enter opens the selected one", () => {
    let state = uiReducer(initialUiState({}), { type: "move", delta: 1, visible });
    expect(state.selected).toBe(3);
    state = uiReducer(state, { type: "move", delta: 5, visible });
    expect(state.selected).toBe(1);
    state = uiReducer(state, { type: "openDetail", visible });
    expect(state.detail).toBe(visible[2] ?? null);
    state = uiReducer(state, { type: "move", delta: -1, visible });
    state = uiReducer(state, { type: "openDetail", visible });
    expect(state.detail?.requestId).toBe("b");
    expect(uiReducer(state, { type: "closeDetail" }).detail).toBeNull();
    expect(uiReducer(initialUiState({}), { type: "openDetail", visible }).detail).toBeNull();
  });
});
