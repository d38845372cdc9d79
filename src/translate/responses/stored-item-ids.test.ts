import { describe, expect, test } from "bun:test";
import { responseIdOfItem, storedItemId, withItemIds, withoutStoredIds } from "./stored-item-ids.ts";

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

  test("every id the gateway gives an item names the response it is stored with; other ids none", () => {
    const ids = ["msg_abc", "rs_abc", "cmp_abc", "fc_abc_0", "fc_abc_12", "msg_abc_i0", "fco_abc_i3"];
    expect(ids.map(responseIdOfItem)).toEqual(ids.map(() => "resp_abc"));
    expect(withItemIds(items, "resp_abc").map((item) => responseIdOfItem(String(item.id)))).toEqual([
      "resp_abc",
      "resp_abc",
      "resp_up",
      "resp_abc",
    ]);
    expect(["call_1", "msg", "msg_", "x_abc"].map(responseIdOfItem)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
