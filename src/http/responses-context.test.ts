import { describe, expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import { readsRetryable } from "./response-store-reads.ts";
import { responsesContext } from "./responses-context.ts";

/** A key of `tenant`, a configured tenant unless it is `default` (then a key outside every tenant). */
const principal = (tenant: string): Principal => ({
  keyId: `key_${tenant}`,
  name: tenant,
  tenant,
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
  ...(tenant === "default" ? {} : { tenantRules: { bound: true, models: ["*"] } }),
});

/** When the store stopped writing under free labels (`ResponseStore.labelScopesClosedAt`). */
const CLOSED_AT = 1_000;

/**
 * A key whose tenant is a free label (no tenant of that name is configured), created before the
 * store stopped writing under labels unless `createdAt` says otherwise.
 */
const labelled = (keyId: string, tenant: string, createdAt = 1): Principal => ({
  ...principal("default"),
  keyId,
  keyCreatedAt: createdAt,
  tenant,
});

const reply = (text: string) => ({
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text }],
});
const answer = (id: string, text: string) => ({ id, object: "response", output: [reply(text)] });

const fail = (error: unknown) => {
  throw error;
};

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error("expected a GatewayError");
  return error;
}

describe("responsesContext", () => {
  test("stores each answer with its own turn and the id it continues; the chain reads back whole", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { model: "m", input: "one" }, fail);
    expect(first.id).toMatch(/^resp_/);
    expect(first.previous).toEqual([]);
    first.onResponse(answer(first.id, "echo one"));

    const body = { model: "m", input: "two", previous_response_id: first.id };
    const second = await responsesContext(store, acme, body, fail);
    expect(second.previous).toEqual([{ type: "message", role: "user", content: "one" }, reply("echo one")]);
    second.onResponse(answer(second.id, "echo two"));
    const stored = await store.get("acme", second.id);
    expect(stored?.response).toEqual(answer(second.id, "echo two"));
    expect(stored?.previousId).toBe(first.id);
    expect(stored?.items.map((item) => item.content)).toEqual([
      "two",
      [{ type: "output_text", text: "echo two" }],
    ]);

    const third = await responsesContext(
      store,
      acme,
      { input: "three", previous_response_id: second.id },
      fail,
    );
    expect(third.previous.map((item) => item.content)).toEqual([
      "one",
      [{ type: "output_text", text: "echo one" }],
      "two",
      [{ type: "output_text", text: "echo two" }],
    ]);
  });

  test("a chain's storage grows by each turn once: the 40th turn stores no more than the 1st", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const sizes: number[] = [];
    let previous: string | undefined;
    for (let turn = 0; turn < 40; turn++) {
      const body = {
        input: `turn ${turn} ${"x".repeat(2000)}`,
        ...(previous ? { previous_response_id: previous } : {}),
      };
      const context = await responsesContext(store, acme, body, fail);
      expect(context.previous).toHaveLength(2 * turn);
      context.onResponse(answer(context.id, `echo ${turn} ${"y".repeat(2000)}`));
      const stored = await store.get("acme", context.id);
      sizes.push(JSON.stringify(stored?.items).length);
      previous = context.id;
    }
    expect(Math.max(...sizes)).toBeLessThan((sizes[0] ?? 0) + 100);
  });

  test("a turn continuing a response held in memory (a WebSocket's) reads no store, and is stored as over HTTP: its own turn, naming the one it continues", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { input: "one" }, fail);
    first.onResponse(answer(first.id, "echo one"));
    const held = {
      id: first.id,
      items: [{ type: "message", role: "user", content: "one" }, reply("echo one")],
      holders: new Map(),
      stored: true,
    };
    // The store is not read for it: a store that lost it (deleted since) changes nothing here.
    await store.delete?.("acme", first.id);
    const body = { input: "two", previous_response_id: first.id };
    const second = await responsesContext(store, acme, body, fail, { held });
    expect(second.previous).toEqual(held.items);
    second.onResponse(answer(second.id, "echo two"));
    const stored = await store.get("acme", second.id);
    expect(stored?.previousId).toBe(first.id);
    expect(stored?.items.map((item) => item.content)).toEqual([
      "two",
      [{ type: "output_text", text: "echo two" }],
    ]);
  });

  test("a held response the store does not have (store: false): the turn continuing it stores the conversation before it, naming none", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const held = {
      id: "resp_unstored",
      items: [{ type: "message", role: "user", content: "one" }, reply("echo one")],
      holders: new Map(),
      stored: false,
    };
    const body = { input: "two", previous_response_id: held.id };
    const next = await responsesContext(store, acme, body, fail, { held });
    next.onResponse(answer(next.id, "echo two"));
    const stored = await store.get("acme", next.id);
    expect(stored?.previousId).toBeUndefined();
    expect(stored?.items.map((item) => item.content)).toEqual([
      "one",
      [{ type: "output_text", text: "echo one" }],
      "two",
      [{ type: "output_text", text: "echo two" }],
    ]);
  });

  test("a chain that lost a response is not continued: OpenAI's 400 previous_response_not_found, naming the one gone", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) {
      const previous = ids.at(-1);
      const body = { input: text, ...(previous ? { previous_response_id: previous } : {}) };
      const context = await responsesContext(store, acme, body, fail);
      context.onResponse(answer(context.id, `echo ${text}`));
      ids.push(context.id);
    }
    const [first, second, third] = ids as [string, string, string];
    await store.delete?.("acme", first);
    for (const id of [second, third]) {
      const error = await rejection(
        responsesContext(store, acme, { input: "four", previous_response_id: id }, fail),
      );
      expect([error.status, error.code, error.param]).toEqual([
        400,
        "previous_response_not_found",
        "previous_response_id",
      ]);
      expect(error.message).toBe(
        `Previous response with id '${id}' not found: the response it continues, '${first}', was deleted or has expired.`,
      );
    }
  });

  test("a response stored whole (before responses named the one they continue) is continued as it is", async () => {
    const store = createMemoryResponseStore();
    const whole = [
      { type: "message", role: "user", content: "one" },
      reply("echo one"),
      { type: "message", role: "user", content: "two" },
      reply("echo two"),
    ];
    await store.save({
      tenant: "acme",
      id: "resp_old",
      response: answer("resp_old", "echo two"),
      items: whole,
      createdAt: 1,
    });
    const next = await responsesContext(
      store,
      principal("acme"),
      { input: "three", previous_response_id: "resp_old" },
      fail,
    );
    expect(next.previous).toEqual(whole);
    next.onResponse(answer(next.id, "echo three"));
    const after = await responsesContext(
      store,
      principal("acme"),
      { input: "four", previous_response_id: next.id },
      fail,
    );
    expect(after.previous.map((item) => item.content)).toEqual([
      ...whole.map((item) => item.content),
      "three",
      [{ type: "output_text", text: "echo three" }],
    ]);
  });

  test("every stored item has an id for input_items to page by; the chain continues without the made ones", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const input = [
      { role: "user", content: "one" },
      { type: "function_call", call_id: "c" },
    ];
    const first = await responsesContext(store, acme, { model: "m", input }, fail);
    first.onResponse(answer(first.id, "echo one"));
    const stored = await store.get("acme", first.id);
    const hex = first.id.replace(/^resp_/, "");
    expect(stored?.items.map((item) => item.id)).toEqual([`msg_${hex}_i0`, `fc_${hex}_i1`, `msg_${hex}_i2`]);
    const next = await responsesContext(store, acme, { model: "m", previous_response_id: first.id }, fail);
    expect(next.previous).toEqual([...input, reply("echo one")]);
    // An id of the caller's own (one its scope holds) is kept as sent.
    const own = { id: `msg_${hex}_i2`, ...reply("echo one") };
    const third = await responsesContext(store, acme, { model: "m", input: [own] }, fail);
    expect(third.foreignIds).toBeUndefined();
    third.onResponse(answer(third.id, "again"));
    expect((await store.get("acme", third.id))?.items[0]).toEqual(own);
  });

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

  test("an answer from a native route is stored under the upstream's id with its holder", async () => {
    const store = createMemoryResponseStore();
    const context = await responsesContext(store, principal("acme"), { model: "m", input: "x" }, fail);
    context.onResponse(answer("resp_upstream", "y"), "openai");
    // The save is fire-and-forget: wait (bounded) for it rather than for a turn of the loop.
    const stored = await waitFor("the saved response", () => store.get("acme", "resp_upstream"));
    expect(stored?.holder).toBe("openai");
    const next = await responsesContext(
      store,
      principal("acme"),
      { previous_response_id: "resp_upstream" },
      fail,
    );
    expect(next.previousHolder).toBe("openai");
    expect(next.previous.length).toBe(2);
  });

  test("item_reference: items the caller's stored responses hold are found in its scope only, and stored whole", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { model: "m", input: "hi" }, fail);
    const hex = first.id.replace(/^resp_/, "");
    const said = { id: `msg_${hex}`, ...reply("hello") };
    first.onResponse({ id: first.id, object: "response", output: [said] });
    await waitFor("the saved response", () => store.get("acme", first.id));
    const input = [
      { role: "user", content: "hi" },
      { type: "item_reference", id: `msg_${hex}` },
      { role: "user", content: "again" },
    ];
    const second = await responsesContext(store, acme, { model: "m", input }, fail);
    expect([...(second.referenced ?? new Map())]).toEqual([[`msg_${hex}`, said]]);
    second.onResponse(answer(second.id, "echo again"));
    const stored = await waitFor("the second response", () => store.get("acme", second.id));
    expect(stored?.items[1]).toEqual(said);
    // Another tenant's reference to it finds nothing: OpenAI's 404 for an unknown item.
    const error = await rejection(responsesContext(store, principal("globex"), { model: "m", input }, fail));
    expect([error.status, error.message]).toEqual([404, `Item with id 'msg_${hex}' not found.`]);
  });

  test("item_reference: an upstream's own item id is found in the caller's scope only; anything else is OpenAI's 404, on every route", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { model: "m", input: "hi" }, fail);
    // A native answer: the upstream's ids, which say nothing of the response they came with.
    const said = { id: "msg_up1", ...reply("the secret") };
    first.onResponse({ id: "resp_up1", object: "response", output: [said] }, "openai");
    await waitFor("the saved response", () => store.get("acme", "resp_up1"));
    const input = [
      { type: "item_reference", id: "msg_up1" },
      { role: "user", content: "repeat the above" },
    ];
    const again = await responsesContext(store, acme, { model: "m", input }, fail);
    expect([...(again.referenced ?? new Map())]).toEqual([["msg_up1", said]]);
    for (const [who, id] of [
      [principal("globex"), "msg_up1"],
      [{ ...principal("default"), keyId: "key_other" }, "msg_up1"],
      [acme, "msg_never_stored"],
      [acme, "rs_up1"],
    ] as const) {
      const body = { model: "m", input: [{ type: "item_reference", id }, ...input.slice(1)] };
      const error = await rejection(responsesContext(store, who, body, fail));
      expect([error.status, error.code, error.param, error.message]).toEqual([
        404,
        "not_found",
        "input",
        `Item with id '${id}' not found.`,
      ]);
    }
  });

  test("item_reference: an item a native route answered is named with the provider that holds it upstream, in the store or the chain continued; a translated turn's item with none", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { model: "m", input: "hi" }, fail);
    first.onResponse(
      { id: "resp_up1", object: "response", output: [{ id: "msg_up1", ...reply("native") }] },
      "openai",
    );
    await waitFor("the native response", () => store.get("acme", "resp_up1"));
    const second = await responsesContext(store, acme, { model: "m", input: "hi" }, fail);
    const hex = second.id.replace(/^resp_/, "");
    second.onResponse({
      id: second.id,
      object: "response",
      output: [{ id: `msg_${hex}`, ...reply("translated") }],
    });
    await waitFor("the translated response", () => store.get("acme", second.id));
    const input = [
      { type: "item_reference", id: "msg_up1" },
      { type: "item_reference", id: `msg_${hex}` },
    ];
    const both = await responsesContext(store, acme, { model: "m", input }, fail);
    expect([...(both.itemHolders ?? new Map())]).toEqual([
      ["msg_up1", "openai"],
      [`msg_${hex}`, null],
    ]);
    // Found in the conversation it continues: the chain's native response says who holds it.
    const continued = await responsesContext(
      store,
      acme,
      { model: "m", previous_response_id: "resp_up1", input: [input[0]] },
      fail,
    );
    expect(continued.itemHolders?.get("msg_up1")).toBe("openai");
    const translatedOnly = await responsesContext(store, acme, { model: "m", input: [input[1]] }, fail);
    expect([...(translatedOnly.itemHolders ?? new Map())]).toEqual([[`msg_${hex}`, null]]);
  });

  test("who holds each item upstream: a stored chain's, a native route's output by its name and every other item none; so for an item sent back as input; a held conversation's untold", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const first = await responsesContext(store, acme, { model: "m", input: "hi" }, fail);
    const own = [
      { id: "rs_up1", type: "reasoning", summary: [] },
      { id: "msg_up1", ...reply("native") },
    ];
    first.onResponse({ id: "resp_up1", object: "response", output: own }, "openai");
    await waitFor("the native response", () => store.get("acme", "resp_up1"));
    // A translated turn continuing it, which reasoned and answered under ids the gateway made.
    const second = await responsesContext(
      store,
      acme,
      { model: "m", previous_response_id: "resp_up1", input: "go on" },
      fail,
    );
    const hex = second.id.replace(/^resp_/, "");
    const translated = [
      { id: `rs_${hex}`, type: "reasoning", summary: [{ type: "summary_text", text: "hmm" }] },
      { id: `msg_${hex}`, ...reply("translated") },
    ];
    second.onResponse({ id: second.id, object: "response", output: translated });
    await waitFor("the translated response", () => store.get("acme", second.id));
    const next = await responsesContext(
      store,
      acme,
      { model: "m", previous_response_id: second.id, input: "and now?" },
      fail,
    );
    expect(next.previous.map((item) => item.id)).toEqual([
      undefined,
      "rs_up1",
      "msg_up1",
      undefined,
      `rs_${hex}`,
      `msg_${hex}`,
    ]);
    expect([...(next.itemHolders ?? new Map())]).toEqual([
      ["msg_up1_i0", null],
      ["rs_up1", "openai"],
      ["msg_up1", "openai"],
      [`msg_${hex}_i0`, null],
      [`rs_${hex}`, null],
      [`msg_${hex}`, null],
    ]);
    // Sent back as input (the Agents SDK's way): each as the stored response it came with says.
    const echoed = await responsesContext(
      store,
      acme,
      { model: "m", input: [...own, ...translated, { role: "user", content: "and now?" }] },
      fail,
    );
    expect(echoed.foreignIds).toBeUndefined();
    expect(Object.fromEntries(echoed.itemHolders ?? [])).toEqual({
      rs_up1: "openai",
      msg_up1: "openai",
      [`rs_${hex}`]: null,
      [`msg_${hex}`]: null,
    });
    // A conversation a connection keeps in memory: who holds its items, as the connection kept it.
    const holders = new Map([
      ["rs_up1", "openai"],
      ["msg_up1", "openai"],
      [`rs_${hex}`, null],
      [`msg_${hex}`, null],
    ]);
    const held = { id: second.id, items: [...own, ...translated], holders, stored: true };
    const fromMemory = await responsesContext(store, acme, { model: "m", input: "x" }, fail, { held });
    expect(fromMemory.itemHolders).toBe(holders);
    const echoedToo = await responsesContext(store, acme, { model: "m", input: own }, fail, { held });
    expect(echoedToo.itemHolders).toEqual(holders);
  });

  test("the caller's connection is told who holds the answer upstream, as it comes: the provider of a native answer, none of a translated one, nor of one asked store: false, which the upstream keeps nothing of", async () => {
    const store = createMemoryResponseStore();
    const told: (string | undefined)[] = [];
    const answered = (holder: string | undefined) => told.push(holder);
    for (const body of [{ input: "hi" }, { input: "hi", store: false }]) {
      const context = await responsesContext(store, principal("acme"), body, fail, { answered });
      context.onResponse({ id: "resp_up9", object: "response", output: [] }, "openai");
      context.onResponse(answer(context.id, "translated"));
    }
    expect(told).toEqual(["openai", undefined, undefined, undefined]);
  });

  test("item_reference: an item of the conversation continued is found there, a held one too", async () => {
    const store = createMemoryResponseStore();
    const said = { id: "msg_held", ...reply("from memory") };
    const held = {
      id: "resp_unstored",
      items: [{ role: "user", content: "one" }, said],
      holders: new Map(),
      stored: false,
    };
    const body = {
      input: [
        { type: "item_reference", id: "msg_held" },
        { role: "user", content: "two" },
      ],
      previous_response_id: held.id,
    };
    const next = await responsesContext(store, principal("acme"), body, fail, { held });
    expect([...(next.referenced ?? new Map())]).toEqual([["msg_held", said]]);
  });

  test("conversation: refused, on every route (the gateway keeps no conversations, and passes none on)", async () => {
    const store = createMemoryResponseStore();
    for (const conversation of ["conv_of_someone_else", { id: "conv_1" }]) {
      const error = await rejection(
        responsesContext(store, principal("acme"), { model: "m", input: "x", conversation }, fail),
      );
      expect([error.status, error.param]).toEqual([400, "conversation"]);
    }
    const unset = await responsesContext(store, principal("acme"), { input: "x", conversation: null }, fail);
    expect(unset.previous).toEqual([]);
  });

  test("background: true refused, on every route (its usage would be counted against nothing); false and null are none", async () => {
    const store = createMemoryResponseStore();
    const error = await rejection(
      responsesContext(store, principal("acme"), { model: "m", input: "x", background: true }, fail),
    );
    expect([error.status, error.param]).toEqual([400, "background"]);
    expect(error.message).toContain("limits and budget");
    for (const background of [false, null]) {
      const context = await responsesContext(store, principal("acme"), { input: "x", background }, fail);
      expect(context.previous).toEqual([]);
    }
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

  test("a previous_response_id that is not a string is a 400", async () => {
    const error = await rejection(
      responsesContext(createMemoryResponseStore(), principal("acme"), { previous_response_id: 7 }, fail),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe("previous_response_id");
  });

  test("store: false answers without storing", async () => {
    const store = createMemoryResponseStore();
    const context = await responsesContext(store, principal("acme"), { model: "m", store: false }, fail);
    context.onResponse(answer(context.id, "z"));
    expect(await store.get("acme", context.id)).toBeNull();
  });
  test("a store that fails on read (not with a GatewayError) is a 503 storage_unavailable, not a 500", async () => {
    const broken = createMemoryResponseStore();
    const store = readsRetryable({
      ...broken,
      get: () => Promise.reject(new Error("connection reset")),
      chain: undefined,
      responseOfItem: () => Promise.reject(new TypeError("socket closed")),
    });
    const acme = principal("acme");
    const continued = await rejection(
      responsesContext(store, acme, { model: "m", input: "two", previous_response_id: "resp_1" }, fail),
    );
    const referenced = await rejection(
      responsesContext(store, acme, { model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, fail),
    );
    for (const error of [continued, referenced])
      expect([error.status, error.code, error.message]).toEqual([
        503,
        "storage_unavailable",
        "the response store is unavailable; try again later",
      ]);
    expect(continued.detail).toBe("response store call failed: Error: connection reset");
  });
});
