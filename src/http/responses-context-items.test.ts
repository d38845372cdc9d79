import { describe, expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import { responsesContext } from "./responses-context.ts";
import { answer, fail, principal, rejection, reply } from "./testing/responses-context-kit.ts";

// item_reference through responsesContext, and who holds each item upstream (a native route's
// answer, a stored chain's), as stored and as the caller's connection is told.

describe("responsesContext: items", () => {
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
});
