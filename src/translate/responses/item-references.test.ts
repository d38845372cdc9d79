import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import {
  noteHolders,
  referencedIds,
  resolveItemReferences,
  withReferencesResolved,
} from "./item-references.ts";

describe("item references", () => {
  const stored: Record<string, JsonObject[]> = {
    resp_a: [
      { id: "msg_a_i0", type: "message", role: "user", content: "hi" },
      { id: "msg_a", type: "message", role: "assistant", content: [{ type: "output_text", text: "hello" }] },
      { id: "fc_a_0", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
    ],
    resp_b: [{ id: "rs_b", type: "reasoning", summary: [] }],
    // A native answer: the upstream named its items, ids that say nothing of their response.
    resp_native: [{ id: "msg_68af01", type: "message", role: "assistant", content: [] }],
  };
  const index: Record<string, string> = { msg_68af01: "resp_native", msg_elsewhere: "resp_gone" };

  test("each stored response is read once, in the caller's scope; what it does not hold is not found", async () => {
    const loaded: string[] = [];
    const lookup = {
      items: async (id: string) => {
        loaded.push(id);
        return stored[id];
      },
      responseOf: async (id: string) => index[id],
    };
    const items = [
      { role: "user", content: "again" },
      ...["msg_a", "fc_a_0", "rs_b", "msg_a_9", "msg_gone", "call_1", "msg_68af01", "msg_a"].map((id) => ({
        type: "item_reference",
        id,
      })),
    ];
    const ids = referencedIds(items);
    expect(ids).toEqual(["msg_a", "fc_a_0", "rs_b", "msg_a_9", "msg_gone", "call_1", "msg_68af01"]);
    const found = await resolveItemReferences(ids, lookup);
    expect([...found.keys()].sort()).toEqual(["fc_a_0", "msg_68af01", "msg_a", "rs_b"]);
    expect(loaded.sort()).toEqual(["resp_68af01", "resp_a", "resp_b", "resp_gone", "resp_native"]);
    expect(withReferencesResolved(items, found)).toEqual([
      items[0] as JsonObject,
      stored.resp_a?.[1] as JsonObject,
      stored.resp_a?.[2] as JsonObject,
      stored.resp_b?.[0] as JsonObject,
      { type: "item_reference", id: "msg_a_9" },
      { type: "item_reference", id: "msg_gone" },
      { type: "item_reference", id: "call_1" },
      stored.resp_native?.[0] as JsonObject,
      stored.resp_a?.[1] as JsonObject,
    ]);
  });

  test("an item the index places in a response that does not hold it is not found", async () => {
    const lookup = { items: async (id: string) => stored[id], responseOf: async (id: string) => index[id] };
    expect((await resolveItemReferences(["msg_elsewhere"], lookup)).size).toBe(0);
    // Without an index, only the gateway's own ids are found.
    expect([
      ...(await resolveItemReferences(["msg_a", "msg_68af01"], { items: lookup.items })).keys(),
    ]).toEqual(["msg_a"]);
  });

  test("no reference, nothing read", async () => {
    const items = () => Promise.reject(new Error("read"));
    expect(
      (await resolveItemReferences(referencedIds([{ role: "user", content: "hi" }]), { items })).size,
    ).toBe(0);
  });

  test("who holds each stored item upstream: a native answer's output its provider, everything else none; an item sent back later stays its provider's", () => {
    const holders = new Map<string, string | null>();
    const output = stored.resp_native ?? [];
    const native = { holder: "openai", response: { output } };
    noteHolders(holders, native, [{ id: "msg_native_i0", role: "user", content: "hi" }, ...output]);
    // A translated turn that was sent the native item back, and answered under the gateway's ids.
    const translated = { response: { output: stored.resp_a?.slice(1) ?? [] } };
    noteHolders(holders, translated, [...output, ...(stored.resp_a ?? [])]);
    expect(Object.fromEntries(holders)).toEqual({
      msg_native_i0: null,
      msg_68af01: "openai",
      msg_a_i0: null,
      msg_a: null,
      fc_a_0: null,
    });
  });
});
