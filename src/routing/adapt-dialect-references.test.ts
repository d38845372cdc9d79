import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { adaptDialect, type ResponsesContext } from "./adapt-dialect.ts";

// An `item_reference` on a route serving the Responses API itself: the upstream resolves a
// reference to its own answer's item, and nothing else the gateway stored (a translated turn's item
// exists in the gateway's store alone), so every other reference goes as the item it names.

const call = () => Promise.reject(new Error("not called"));
const native: Provider = { name: "oa", dialect: "openai", passThrough: true, responsesApi: true, call };

const plain = "call_0123456789abcdef0123456789abcdef";
/** What the gateway stored: a chat route's answer (its ids the gateway's), and this route's own. */
const translated = {
  id: "msg_t1",
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text: "42" }],
};
const geminiCall = {
  id: "fc_t1_0",
  type: "function_call",
  call_id: `${plain}__ts_${"A".repeat(300)}`,
  name: "f",
};
const reasoning = { id: "rs_t1", type: "reasoning", summary: [{ type: "summary_text", text: "hmm" }] };
const ownItem = { id: "msg_up1", type: "message", role: "assistant", content: [] };
const othersItem = { id: "msg_up2", type: "message", role: "assistant", content: [] };
const referenced = new Map<string, JsonObject>(
  [translated, geminiCall, reasoning, ownItem, othersItem].map((item) => [item.id, item]),
);
const context: ResponsesContext = {
  id: "resp_1",
  previous: [],
  onResponse: () => {},
  referenced,
  itemHolders: new Map<string, string | null>([
    ["msg_up1", "oa"],
    ["msg_up2", "another"],
    ["msg_t1", null],
    ["fc_t1_0", null],
    ["rs_t1", null],
  ]),
};
const ref = (id: string) => ({ type: "item_reference", id });
const ask = { role: "user", content: "go on" };

describe("item_reference on a route serving the Responses API", () => {
  test("the upstream's own item goes as a reference; one only the gateway holds as the item, without its id", () => {
    const body = { model: "m", input: [ref("msg_up1"), ref("msg_t1"), ref("msg_up2"), ask] };
    const adapted = adaptDialect("responses", body, native, "m", context);
    const { id: _translated, ...message } = translated;
    const { id: _other, ...others } = othersItem;
    expect(adapted.body.input).toEqual([ref("msg_up1"), message, others, ask]);
    expect(adapted.native?.rewritten).toBe(true);
  });

  test("references to its own items alone: the body as sent, bytes and all", () => {
    const body = { model: "m", input: [ref("msg_up1"), ask] };
    const adapted = adaptDialect("responses", body, native, "m", context);
    expect(adapted.body).toBe(body);
    expect(adapted.native?.rewritten).toBeUndefined();
  });

  test("a Gemini route's call goes with its call_id plain; another model's bare reasoning is left out", () => {
    const body = { model: "m", input: [ref("rs_t1"), ref("fc_t1_0"), ask] };
    const adapted = adaptDialect("responses", body, native, "m", context);
    expect(adapted.body.input).toEqual([{ type: "function_call", call_id: plain, name: "f" }, ask]);
  });

  test("after a stored chain expanded here, and beside an input item's id the caller's scope does not hold", () => {
    const previous = [{ type: "message", role: "user", content: "remember 42" }, translated];
    const foreign = { id: "msg_theirs", type: "message", role: "assistant", content: [] };
    const body = { model: "m", previous_response_id: "resp_0", input: [ref("msg_t1"), foreign, ask] };
    const adapted = adaptDialect("responses", body, native, "m", {
      ...context,
      previous,
      foreignIds: new Set(["msg_theirs"]),
    });
    const { id: _translated, ...message } = translated;
    const { id: _foreign, ...theirs } = foreign;
    // The chain's item too goes without the gateway's id.
    expect(adapted.body).toEqual({ model: "m", input: [previous[0], message, message, theirs, ask] });
  });
});
