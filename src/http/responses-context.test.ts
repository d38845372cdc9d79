import { describe, expect, test } from "bun:test";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import { readsRetryable } from "./response-store-reads.ts";
import { responsesContext } from "./responses-context.ts";
import { answer, fail, principal, rejection, reply } from "./testing/responses-context-kit.ts";

// A Responses chain as responsesContext stores and continues it, and the parameters it refuses. Whose
// chains a caller reaches: responses-context-scopes.test.ts; item_reference and who holds an item
// upstream: responses-context-items.test.ts.

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

describe("the record of a scope's containers", () => {
  /** A memory store that counts its container record's reads and writes. */
  function countingStore() {
    const store = createMemoryResponseStore();
    const notes: string[][] = [];
    let reads = 0;
    return {
      notes,
      reads: () => reads,
      store: {
        ...store,
        noteContainers: (tenant: string, ids: readonly string[], at: number) => {
          notes.push([...ids]);
          return store.noteContainers?.(tenant, ids, at) ?? Promise.resolve();
        },
        containersSeen: (tenant: string, ids: readonly string[], since: number) => {
          reads++;
          return store.containersSeen?.(tenant, ids, since) ?? Promise.resolve([]);
        },
      },
    };
  }
  const codeCall = { type: "code_interpreter_call", id: "ci_1", container_id: "cntr_ours" };

  test("a store: false request with no tool, or function tools alone, neither waits nor reads nor writes it", async () => {
    const counted = countingStore();
    const acme = principal("acme");
    for (const tools of [undefined, [{ type: "function", name: "f", parameters: {} }]]) {
      const body = { model: "m", input: "x", store: false, ...(tools ? { tools } : {}) };
      const context = await responsesContext(counted.store, acme, body, fail);
      expect(context.waits).toBe(false);
      context.onResponse({ ...answer("resp_up", "x"), output: [codeCall] }, "openai");
      expect(context.saved()).toBeUndefined();
    }
    expect(counted.notes).toEqual([]);
    expect(counted.reads()).toBe(0);
  });

  test("with a code interpreter tool, an answer without a container call writes nothing; one with writes its container", async () => {
    const counted = countingStore();
    const acme = principal("acme");
    const body = {
      model: "m",
      input: "x",
      store: false,
      tools: [{ type: "code_interpreter", container: { type: "auto" } }],
    };
    const plain = await responsesContext(counted.store, acme, body, fail);
    expect(plain.waits).toBe(true);
    plain.onResponse(answer("resp_up", "x"), "openai");
    expect(plain.saved()).toBeUndefined();
    expect(counted.notes).toEqual([]);

    const ran = await responsesContext(counted.store, acme, body, fail);
    ran.onResponse({ ...answer("resp_up2", "x"), output: [codeCall] }, "openai");
    expect(await ran.saved()).toBeUndefined();
    expect(counted.notes).toEqual([["cntr_ours"]]);
    expect(counted.reads()).toBe(0);
  });
});
