import { expect, test } from "bun:test";
import { answerFinish, type FinishReasons } from "./failed-finish.ts";

const reasons: FinishReasons = {
  field: "Vendor reason",
  answers: { end_turn: "stop", tool_use: "tool_calls", max_tokens: "length", filtered: "content_filter" },
  failures: { broken: "the model broke" },
};

test("a turn that called tools answers tool_calls where its reason says stop (known, unknown or none); a reason that says more keeps it", () => {
  const table: Array<[string | undefined, boolean, string]> = [
    ["end_turn", false, "stop"],
    ["end_turn", true, "tool_calls"],
    ["tool_use", true, "tool_calls"],
    ["tool_use", false, "tool_calls"],
    ["max_tokens", true, "length"],
    ["filtered", true, "content_filter"],
    ["added_later", true, "tool_calls"],
    ["added_later", false, "stop"],
    [undefined, true, "tool_calls"],
    [undefined, false, "stop"],
  ];
  expect(
    table.map(([reason, calledTools]) => [reason, calledTools, answerFinish(reasons, reason, calledTools)]),
  ).toEqual(table);
});
