import { describe, expect, test } from "bun:test";
import { type KeyAction, type KeyPress, NO_KEY, tailReducer } from "./key-bindings.ts";
import type { RequestRow } from "./tail-store.ts";
import { initialUiState, type UiState } from "./ui-state.ts";

const row = (requestId: string, seq: number) => ({ requestId, seq }) as RequestRow;
const rows = [row("a", 1), row("b", 0)];

function press(state: UiState, input: string, key: Partial<KeyPress> = {}): UiState {
  const action: KeyAction = {
    type: "key",
    input,
    key: { ...NO_KEY, ...key },
    visible: rows,
    all: rows,
    nextSeq: 9,
    detailEnd: 3,
  };
  return tailReducer(state, action);
}

describe("key bindings", () => {
  test("space, w, a, / and q", () => {
    let state = press(initialUiState({}), " ");
    expect(state.frozen).toBe(rows);
    expect(state.pausedAt).toBe(9);
    state = press(state, "w");
    expect(state.showWorkers).toBe(true);
    expect(state.showAdmin).toBe(false);
    state = press(state, "a");
    expect(state.showAdmin).toBe(true);
    expect(press(state, "a").showAdmin).toBe(false);
    state = press(state, "/");
    expect(state.prompt).not.toBeNull();
    expect(press(state, "q").quit).toBe(false);
    state = press(state, "", { escape: true });
    expect(press(state, "q").quit).toBe(true);
    expect(press(initialUiState({}), "c", { ctrl: true }).quit).toBe(true);
  });

  test("keys that arrive together are applied one by one", () => {
    const state = press(initialUiState({}), " w/status:5xx");
    expect(state.frozen).not.toBeNull();
    expect(state.showWorkers).toBe(true);
    expect(state.prompt?.text).toBe("status:5xx");
    expect(press(state, "", { return: true }).filter).toEqual({ status: "5xx" });
  });

  test("text and Enter arriving as one chunk are typed, then applied", () => {
    let state = press(initialUiState({}), "/");
    state = press(state, "model:m2\r");
    expect(state.prompt).toBeNull();
    expect(state.filter).toEqual({ model: "m2" });
    // Without the prompt open: "/", text, Enter, then "w" after it, all in one chunk.
    state = press(initialUiState({}), "/key:bob\rw");
    expect(state.filter).toEqual({ key: "bob" });
    expect(state.showWorkers).toBe(true);
    // Other control characters in such a chunk are dropped, not typed.
    expect(press(press(initialUiState({}), "/"), "key:a\tb\r").filter).toEqual({ key: "ab" });
  });

  test("the prompt takes letters that are bindings elsewhere, and pastes whole", () => {
    let state = press(initialUiState({}), "/");
    state = press(state, "q");
    state = press(state, " ");
    state = press(state, "w");
    state = press(state, "key:alice");
    expect(state.prompt?.text).toBe("q wkey:alice");
    state = press(state, "", { backspace: true });
    expect(state.prompt?.text).toBe("q wkey:alic");
    expect(press(state, "\u001b[Z").prompt?.text).toBe("q wkey:alic");
  });

  test("arrows and enter select and open; in the detail view they scroll and close", () => {
    let state = press(initialUiState({}), "", { downArrow: true });
    state = press(state, "", { downArrow: true });
    state = press(state, "", { return: true });
    expect(state.detail?.requestId).toBe("b");
    state = press(state, "", { downArrow: true });
    expect(state.detailOffset).toBe(1);
    // Past the end nothing is banked: the first press up scrolls back.
    for (let i = 0; i < 5; i++) state = press(state, "", { downArrow: true });
    expect(state.detailOffset).toBe(3);
    expect(press(state, "", { upArrow: true }).detailOffset).toBe(2);
    state = press(state, " ");
    expect(state.frozen).toBeNull();
    state = press(state, "", { return: true });
    expect(state.detail).toBeNull();
  });
});
