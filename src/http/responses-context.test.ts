import { describe, expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import { responsesContext } from "./responses-context.ts";

const principal = (tenant: string): Principal => ({
  keyId: `key_${tenant}`,
  name: tenant,
  tenant,
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
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
  test("stores each answer with the whole conversation, so chains continue from one read", async () => {
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
    expect(stored?.items.map((item) => item.content)).toEqual([
      "one",
      [{ type: "output_text", text: "echo one" }],
      "two",
      [{ type: "output_text", text: "echo two" }],
    ]);
  });

  test("every stored item has an id for input_items to page by; the chain continues without the made ones", async () => {
    const store = createMemoryResponseStore();
    const acme = principal("acme");
    const input = [
      { role: "user", content: "one" },
      { id: "fc_own", type: "function_call", call_id: "c" },
    ];
    const first = await responsesContext(store, acme, { model: "m", input }, fail);
    first.onResponse(answer(first.id, "echo one"));
    const stored = await store.get("acme", first.id);
    const hex = first.id.replace(/^resp_/, "");
    expect(stored?.items.map((item) => item.id)).toEqual([`msg_${hex}_i0`, "fc_own", `msg_${hex}_i2`]);
    const next = await responsesContext(store, acme, { model: "m", previous_response_id: first.id }, fail);
    expect(next.previous).toEqual([...input, reply("echo one")]);
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
    // Another tenant's reference to it finds nothing.
    expect(
      (await responsesContext(store, principal("globex"), { model: "m", input }, fail)).referenced,
    ).toBeUndefined();
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
});
