import { describe, expect, test } from "bun:test";
import { storedItemId, withItemIds, withoutStoredIds } from "./stored-item-ids.ts";

describe("stored item ids", () => {
  const items = [
    { type: "message", role: "user", content: "hi" },
    { role: "user", content: "bare" },
    { id: "fc_up_1", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
    { type: "function_call_output", call_id: "c", output: "x" },
  ];

  test("an item without an id gets one from the response id and its place; its own id is kept", () => {
    expect(withItemIds(items, "resp_abc").map((item) => item.id)).toEqual([
      "msg_abc_i0",
      "msg_abc_i1",
      "fc_up_1",
      "fco_abc_i3",
    ]);
  });

  test("the same on every read: a row stored before ids reads as one stored with them", () => {
    const saved = withItemIds(items, "resp_abc");
    expect(withItemIds(saved, "resp_abc")).toEqual(saved);
    expect(withItemIds(items, "resp_abc")).toEqual(saved);
    expect(storedItemId({ type: "reasoning" }, "resp_x", 2)).toBe("rs_x_i2");
  });

  test("going upstream again, the made ids come off and the upstream's own stay", () => {
    expect(withoutStoredIds(withItemIds(items, "resp_abc"))).toEqual(items);
  });
});
