import { describe, expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { Principal } from "../auth/principal.ts";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import { readsRetryable } from "./response-store-reads.ts";
import { responsesContext } from "./responses-context.ts";
import {
  answer,
  CLOSED_AT,
  fail,
  labelled,
  principal,
  rejection,
  reply,
} from "./testing/responses-context-kit.ts";

// Whose stored responses a caller reaches through responsesContext: its tenant's, its own key's
// outside every tenant, never another key's of a free label; a reload's new tenant keeps them.

describe("responsesContext: scopes", () => {
  test("an input item's own id that the caller's scope does not hold is foreign: not stored, and off to a native upstream", async () => {
    const store = createMemoryResponseStore();
    const alice = principal("acme");
    const first = await responsesContext(store, alice, { model: "m", input: "hi" }, fail);
    first.onResponse(
      {
        id: "resp_up1",
        object: "response",
        output: [
          { id: "rs_up1", type: "reasoning", summary: [] },
          { id: "msg_up1", ...reply("secret") },
        ],
      },
      "openai",
    );
    await waitFor("the saved response", () => store.get("acme", "resp_up1"));
    const input = [
      { type: "reasoning", id: "rs_up1", summary: [] },
      { type: "reasoning", id: "rs_up1b", summary: [], encrypted_content: "gAAA" },
      { id: "msg_up1", ...reply("secret") },
      { role: "user", content: "go on" },
    ];
    // Alice's own are held; an id no response of hers holds is not.
    const own = await responsesContext(store, alice, { model: "m", input }, fail);
    expect([...(own.foreignIds ?? [])]).toEqual(["rs_up1b"]);
    // Bob's (another tenant): each id foreign, and his stored turn keeps none of them.
    const bob = await responsesContext(store, principal("globex"), { model: "m", input }, fail);
    expect([...(bob.foreignIds ?? [])].sort()).toEqual(["msg_up1", "rs_up1", "rs_up1b"]);
    bob.onResponse(answer(bob.id, "ok"));
    const stored = await waitFor("Bob's response", () => store.get("globex", bob.id));
    expect(stored?.items.slice(0, 3)).toEqual([
      { type: "reasoning", summary: [], encrypted_content: "gAAA", id: `rs_${bob.id.slice(5)}_i0` },
      { ...reply("secret"), id: `msg_${bob.id.slice(5)}_i1` },
      { role: "user", content: "go on", id: `msg_${bob.id.slice(5)}_i2` },
    ]);
  });

  test("previous_response_id is resolved within the tenant only: anything else is OpenAI's 400 previous_response_not_found", async () => {
    const store = createMemoryResponseStore();
    const first = await responsesContext(store, principal("acme"), { model: "m", input: "x" }, fail);
    first.onResponse(answer(first.id, "y"));
    for (const [tenant, id] of [
      ["globex", first.id],
      ["acme", "resp_unknown"],
    ] as const) {
      const error = await rejection(
        responsesContext(store, principal(tenant), { model: "m", previous_response_id: id }, fail),
      );
      expect([error.status, error.code, error.param]).toEqual([
        400,
        "previous_response_not_found",
        "previous_response_id",
      ]);
    }
  });

  test("outside every tenant, each key's chains are its own: another key's id is not found", async () => {
    const store = createMemoryResponseStore();
    const own = { ...principal("default"), keyId: "key_one" };
    const other = { ...principal("default"), keyId: "key_two" };
    const first = await responsesContext(store, own, { model: "m", input: "x" }, fail);
    first.onResponse(answer(first.id, "y"));
    expect((await store.get("default/key_one", first.id))?.response).toEqual(answer(first.id, "y"));
    const body = { model: "m", previous_response_id: first.id };
    expect((await responsesContext(store, own, body, fail)).previous).toHaveLength(2);
    const error = await rejection(responsesContext(store, other, body, fail));
    expect([error.status, error.code, error.param]).toEqual([
      400,
      "previous_response_not_found",
      "previous_response_id",
    ]);
  });

  test("keys sharing a free tenant label share nothing; what the label's keys stored before is still theirs, continued in their own scope", async () => {
    // Through the wrapper the gateway reads with (create-gateway.ts), which must say it too.
    const store = readsRetryable(createMemoryResponseStore({ labelScopesClosedAt: CLOSED_AT }));
    const alice = labelled("key_alice", "acme");
    const mallory = labelled("key_mallory", "acme");
    const first = await responsesContext(store, alice, { input: "alice's" }, fail);
    first.onResponse(answer(first.id, "echo alice's"));
    expect(await store.get("default/key_alice", first.id)).not.toBeNull();
    expect(await store.get("acme", first.id)).toBeNull();
    const error = await rejection(
      responsesContext(store, mallory, { input: "x", previous_response_id: first.id }, fail),
    );
    expect(error.code).toBe("previous_response_not_found");
    // Stored under the label before it stopped being shared: the label's keys still continue it.
    const whole = [{ type: "message", role: "user", content: "before" }, reply("echo before")];
    await store.save({
      tenant: "acme",
      id: "resp_before",
      response: answer("resp_before", "x"),
      items: whole,
      createdAt: 1,
    });
    const next = await responsesContext(
      store,
      alice,
      { input: "after", previous_response_id: "resp_before" },
      fail,
    );
    expect(next.previous).toEqual(whole);
    next.onResponse(answer(next.id, "echo after"));
    const stored = await store.get("default/key_alice", next.id);
    expect(stored?.previousId).toBeUndefined();
    expect(stored?.items.map((item) => item.content)).toEqual([
      "before",
      [{ type: "output_text", text: "echo before" }],
      "after",
      [{ type: "output_text", text: "echo after" }],
    ]);
  });

  test("the label's old rows: a key created after they stopped being written reads none, and an upstream's item id is never looked up there", async () => {
    const store = createMemoryResponseStore({ labelScopesClosedAt: CLOSED_AT });
    const said = { id: "msg_alice_old", ...reply("alice's secret") };
    await store.save({
      tenant: "acme",
      id: "resp_old",
      response: { id: "resp_old", object: "response", output: [said] },
      items: [{ type: "message", role: "user", content: "before" }, said],
      createdAt: 1,
      holder: "openai",
    });
    const alice = labelled("key_alice", "acme");
    const mallory = labelled("key_mallory", "acme", CLOSED_AT + 1);
    const error = await rejection(
      responsesContext(store, mallory, { input: "x", previous_response_id: "resp_old" }, fail),
    );
    expect(error.code).toBe("previous_response_not_found");
    const byItem = { input: [{ type: "item_reference", id: "msg_alice_old" }] };
    for (const who of [mallory, alice]) {
      const refused = await rejection(responsesContext(store, who, byItem, fail));
      expect([refused.status, refused.message]).toEqual([404, "Item with id 'msg_alice_old' not found."]);
    }
    // The key that was there continues it, its own item included as the conversation holds it.
    const next = await responsesContext(store, alice, { ...byItem, previous_response_id: "resp_old" }, fail);
    expect([...(next.referenced ?? new Map())]).toEqual([["msg_alice_old", said]]);
  });

  test("a tenant a reload configures: what its members stored as free-label keys is still theirs", async () => {
    const store = createMemoryResponseStore({ labelScopesClosedAt: CLOSED_AT });
    const free = labelled("key_alice", "acme", CLOSED_AT + 1);
    const first = await responsesContext(store, free, { input: "alice's" }, fail);
    first.onResponse(answer(first.id, "echo alice's"));
    await waitFor("the saved response", () => store.get("default/key_alice", first.id));
    // The reload: "acme" is configured, and alice is its member.
    const member: Principal = { ...free, tenantRules: { bound: true, models: ["*"] } };
    const next = await responsesContext(
      store,
      member,
      { input: "again", previous_response_id: first.id },
      fail,
    );
    expect(next.previous.map((item) => item.content)).toEqual([
      "alice's",
      [{ type: "output_text", text: "echo alice's" }],
    ]);
    next.onResponse(answer(next.id, "echo again"));
    // Stored in the tenant's scope, whole: the row it continues is not there.
    const stored = await waitFor("the next turn", () => store.get("acme", next.id));
    expect(stored.previousId).toBeUndefined();
    expect(stored.items).toHaveLength(4);
    // Another member of the tenant does not read alice's own scope.
    const bob: Principal = { ...member, keyId: "key_bob" };
    const error = await rejection(
      responsesContext(store, bob, { input: "x", previous_response_id: first.id }, fail),
    );
    expect(error.code).toBe("previous_response_not_found");
  });
});
