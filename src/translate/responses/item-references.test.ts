import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { resolveItemReferences, withReferencesResolved } from "./item-references.ts";

describe("item references", () => {
  const stored: Record<string, JsonObject[]> = {
    resp_a: [
      { id: "msg_a_i0", type: "message", role: "user", content: "hi" },
      { id: "msg_a", type: "message", role: "assistant", content: [{ type: "output_text", text: "hello" }] },
      { id: "fc_a_0", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
    ],
    resp_b: [{ id: "rs_b", type: "reasoning", summary: [] }],
  };

  test("each stored response is read once, in the caller's scope; what it does not hold is not found", async () => {
    const loaded: string[] = [];
    const load = async (id: string) => {
      loaded.push(id);
      return stored[id];
    };
    const items = [
      { role: "user", content: "again" },
      ...["msg_a", "fc_a_0", "rs_b", "msg_a_9", "msg_gone", "call_1"].map((id) => ({
        type: "item_reference",
        id,
      })),
    ];
    const found = await resolveItemReferences(items, load);
    expect([...found.keys()]).toEqual(["msg_a", "fc_a_0", "rs_b"]);
    expect(loaded.sort()).toEqual(["resp_a", "resp_b", "resp_gone"]);
    expect(withReferencesResolved(items, found)).toEqual([
      items[0] as JsonObject,
      stored.resp_a?.[1] as JsonObject,
      stored.resp_a?.[2] as JsonObject,
      stored.resp_b?.[0] as JsonObject,
      { type: "item_reference", id: "msg_a_9" },
      { type: "item_reference", id: "msg_gone" },
      { type: "item_reference", id: "call_1" },
    ]);
  });

  test("no reference, nothing read", async () => {
    const load = () => Promise.reject(new Error("read"));
    expect((await resolveItemReferences([{ role: "user", content: "hi" }], load)).size).toBe(0);
  });
});
