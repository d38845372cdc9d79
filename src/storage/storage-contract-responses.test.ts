/**
 * The storage contract, every backend (storage-contract-fixture.ts, split from
 * storage-contract.test.ts): stored responses, their output items and chains, and lookups spelt
 * with NUL.
 */
import { describe, expect, test } from "bun:test";
import { readResponseChain } from "./response-chain.ts";
import type { StoredResponse } from "./storage.ts";
import { contractBackends } from "./storage-contract-fixture.ts";

const stored = (tenant: string, id: string, createdAt = 1_700_000_000_000): StoredResponse => ({
  tenant,
  id,
  response: { id, object: "response", output: [{ type: "message", content: [{ text: "hi" }] }], z: 1, a: 2 },
  items: [{ type: "message", role: "user", content: "hello" }],
  createdAt,
});

for (const [name, fresh] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("responses: saved exactly, scoped by tenant, replaced, deleted, pruned oldest first", async () => {
      const { responses } = await fresh();
      const record = stored("acme", "resp_1");
      await responses.save(record);
      const back = await responses.get("acme", "resp_1");
      expect(back).toEqual(record);
      expect(Object.keys(back!.response)).toEqual(Object.keys(record.response));
      expect(await responses.get("globex", "resp_1")).toBeNull();
      await responses.save({ ...record, items: [] });
      expect((await responses.get("acme", "resp_1"))?.items).toEqual([]);
      // Who holds a native answer is kept, so reads and chains reach it from any node.
      await responses.save({ ...record, holder: "worker:w1" });
      expect((await responses.get("acme", "resp_1"))?.holder).toBe("worker:w1");
      await responses.save(stored("acme", "resp_gone"));
      expect(await responses.delete?.("globex", "resp_gone")).toBe(false);
      expect(await responses.get("acme", "resp_gone")).not.toBeNull();
      expect(await responses.delete?.("acme", "resp_gone")).toBe(true);
      expect(await responses.get("acme", "resp_gone")).toBeNull();
      expect(await responses.delete?.("acme", "resp_gone")).toBe(false);
      for (let i = 0; i < 5; i++) await responses.save(stored("acme", `old_${i}`, 1000 + i));
      expect(await responses.prune(2000, 3)).toBe(3);
      expect(await responses.prune(2000, 3)).toBe(2);
      expect(await responses.get("acme", "resp_1")).not.toBeNull();
    });

    test("the record of a scope's containers: seen within the tenant since a time, seen again later, forgotten in batches once old", async () => {
      const { responses } = await fresh();
      await responses.noteContainers?.("acme", ["cntr_a", "cntr_b"], 1000);
      await responses.noteContainers?.("acme", ["cntr_a"], 5000);
      // A note from an answer that came back after a later one keeps the later time.
      await responses.noteContainers?.("acme", ["cntr_a"], 3000);
      expect((await responses.containersSeen?.("acme", ["cntr_a", "cntr_b", "cntr_c"], 0))?.sort()).toEqual([
        "cntr_a",
        "cntr_b",
      ]);
      expect(await responses.containersSeen?.("acme", ["cntr_a", "cntr_b"], 2000)).toEqual(["cntr_a"]);
      expect(await responses.containersSeen?.("globex", ["cntr_a", "cntr_b"], 0)).toEqual([]);
      expect(await responses.containersSeen?.("acme", ["cntr_\u0000"], 0)).toEqual([]);
      // A note deletes nothing, however old the entries (the answer waits for it alone); those not
      // seen since a time go when the record is pruned, any scope's, a batch at a time.
      const many = Array.from({ length: 105 }, (_, i) => `cntr_old${i}`);
      await responses.noteContainers?.("globex", many, 10);
      const old = async () =>
        ((await responses.containersSeen?.("globex", many, 0)) ?? []).length +
        ((await responses.containersSeen?.("acme", ["cntr_b"], 0)) ?? []).length;
      await responses.noteContainers?.("acme", ["cntr_c"], 6000);
      expect(await old()).toBe(many.length + 1);
      expect(await responses.forgetContainers?.(2000, 100)).toBe(100);
      expect(await old()).toBe(many.length + 1 - 100);
      expect(await responses.forgetContainers?.(2000, 100)).toBe(6);
      expect(await old()).toBe(0);
      expect((await responses.containersSeen?.("acme", ["cntr_a", "cntr_b", "cntr_c"], 0))?.sort()).toEqual([
        "cntr_a",
        "cntr_c",
      ]);
    });

    test("a lookup spelt with NUL (a client's response id, an admin's key name) finds nothing, where PostgreSQL's refusal of it was a store failure (503)", async () => {
      const { keys, responses } = await fresh();
      await responses.save(stored("acme", "resp_1"));
      expect(await keys.getById("key_\u0000")).toBeNull();
      expect(await keys.findByName("alice\u0000")).toEqual([]);
      expect(await keys.list({ tenant: "acme\u0000" })).toEqual([]);
      expect(await responses.get("acme", "resp_\u0000")).toBeNull();
      expect(await responses.delete?.("acme", "resp_\u0000")).toBe(false);
      expect(await responses.responseOfItem?.("acme", "msg_\u0000")).toBeNull();
      expect(await responses.get("acme", "resp_1")).not.toBeNull();
    });

    test("responses: an output item's response is found by the item's id, within the tenant; gone with the response", async () => {
      const { responses } = await fresh();
      const answered = (tenant: string, id: string, itemIds: string[]): StoredResponse => ({
        ...stored(tenant, id),
        response: { id, output: [...itemIds.map((item) => ({ type: "message", id: item })), "odd", {}] },
      });
      await responses.save(answered("acme", "resp_a", ["msg_up1", "rs_up1", "msg_up1"]));
      await responses.save(answered("globex", "resp_g", ["msg_up2"]));
      expect(await responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_a");
      expect(await responses.responseOfItem?.("acme", "rs_up1")).toBe("resp_a");
      // An input item is no output item; another tenant's item is unknown.
      expect(await responses.responseOfItem?.("acme", "msg_unknown")).toBeNull();
      expect(await responses.responseOfItem?.("acme", "msg_up2")).toBeNull();
      expect(await responses.responseOfItem?.("globex", "msg_up2")).toBe("resp_g");
      await responses.save(answered("acme", "resp_b", ["msg_up3"]));
      await responses.delete?.("acme", "resp_b");
      expect(await responses.responseOfItem?.("acme", "msg_up3")).toBeNull();
      await responses.save({ ...answered("acme", "resp_old", ["msg_up4"]), createdAt: 1 });
      await responses.prune(2, 10);
      expect(await responses.responseOfItem?.("acme", "msg_up4")).toBeNull();
    });

    test("responses: a chain read in one go, oldest first, each turn stored once; a response gone is named", async () => {
      const { responses } = await fresh();
      const turn = (id: string, previousId?: string): StoredResponse => ({
        ...stored("acme", id),
        items: [{ type: "message", role: "user", content: `${id} ${"x".repeat(1000)}` }],
        ...(previousId ? { previousId } : {}),
      });
      const ids = Array.from({ length: 30 }, (_, i) => `resp_t${i}`);
      for (const [i, id] of ids.entries()) await responses.save(turn(id, ids[i - 1]));
      const chain = await readResponseChain(responses, "acme", "resp_t29");
      expect(chain?.responses.map((r) => r.id)).toEqual(ids);
      expect(chain?.missing).toBeUndefined();
      expect(chain?.responses[5]).toEqual(turn("resp_t5", "resp_t4"));
      // Each row holds its own turn: the 30th is no larger than the 12th.
      const size = async (id: string) => JSON.stringify((await responses.get("acme", id))?.items).length;
      expect(await size("resp_t29")).toBe(await size("resp_t11"));
      expect((await readResponseChain(responses, "acme", "resp_t0"))?.responses).toHaveLength(1);
      // Scoped: another tenant reads nothing, and a link is only followed within the tenant.
      expect(await readResponseChain(responses, "globex", "resp_t29")).toBeNull();
      await responses.save({ ...turn("resp_g1", "resp_t28"), tenant: "globex" });
      expect(await readResponseChain(responses, "globex", "resp_g1")).toMatchObject({ missing: "resp_t28" });
      // A response deleted takes its turn with it: the chains after it stop short of it.
      expect(await responses.delete?.("acme", "resp_t10")).toBe(true);
      const cut = await readResponseChain(responses, "acme", "resp_t29");
      expect(cut?.responses.map((r) => r.id)).toEqual(ids.slice(11));
      expect(cut?.missing).toBe("resp_t10");
      expect(await readResponseChain(responses, "acme", "resp_t10")).toBeNull();
      // A response stored whole (no previousId, as rows stored before were) ends the walk.
      await responses.save(turn("resp_t10"));
      expect((await readResponseChain(responses, "acme", "resp_t29"))?.responses).toHaveLength(20);
      // Ids that loop (no gateway writes them) end the read rather than hang it.
      await responses.save(turn("resp_a", "resp_b"));
      await responses.save(turn("resp_b", "resp_a"));
      expect(await readResponseChain(responses, "acme", "resp_a")).toMatchObject({ missing: "resp_a" });
    });
  });
}
