import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { compactionItem, summaryTurn } from "../translate/responses/compaction.ts";
import { adaptDialect, type ResponsesContext } from "./adapt-dialect.ts";

// The ids of the items a route serving the Responses API itself is sent: OpenAI looks up every
// input item's id, and knows only those it issued ("Item with id '…' not found" otherwise). A
// conversation a translated route answered carries the gateway's ids, another provider's its own:
// they go without them; the upstream's own ids stay, as they link its reasoning to its calls.

const call = () => Promise.reject(new Error("not called"));
const native: Provider = { name: "oa", dialect: "openai", passThrough: true, responsesApi: true, call };

const plain = "call_0123456789abcdef0123456789abcdef";
const user = (content: string) => ({ role: "user", content });
/** This route's own answer: reasoning by its id alone, then a message. */
const ownReasoning = { id: "rs_up1", type: "reasoning", summary: [] };
const ownMessage = { id: "msg_up1", type: "message", role: "assistant", content: [] };
/** Another provider's call, under its id. */
const othersCall = { id: "fc_up2", type: "function_call", call_id: "call_x", name: "g", arguments: "{}" };
/** A Gemini route's turn, translated: the gateway's ids, its reasoning a summary alone. */
const translatedReasoning = {
  id: "rs_t1",
  type: "reasoning",
  summary: [{ type: "summary_text", text: "hmm" }],
};
const translatedCall = {
  id: "fc_t1_0",
  type: "function_call",
  call_id: `${plain}__ts_${"A".repeat(300)}`,
  name: "f",
  arguments: "{}",
};
const callOutput = { type: "function_call_output", call_id: translatedCall.call_id, output: "sunny" };
const translatedMessage = { id: "msg_t2", type: "message", role: "assistant", content: [] };
const encryptedReasoning = { id: "rs_t3", type: "reasoning", summary: [], encrypted_content: "gAAA" };

const itemHolders = new Map<string, string | null>([
  ["rs_up1", "oa"],
  ["msg_up1", "oa"],
  ["fc_up2", "another"],
  ["rs_t1", null],
  ["fc_t1_0", null],
  ["msg_t2", null],
  ["rs_t3", null],
]);
const conversation: JsonObject[] = [
  user("remember 42"),
  ownReasoning,
  ownMessage,
  othersCall,
  user("weather?"),
  translatedReasoning,
  translatedCall,
  callOutput,
  translatedMessage,
  encryptedReasoning,
];
/** The conversation as this route reads it. */
const asRead = [
  user("remember 42"),
  ownReasoning,
  ownMessage,
  { type: "function_call", call_id: "call_x", name: "g", arguments: "{}" },
  user("weather?"),
  { type: "function_call", call_id: plain, name: "f", arguments: "{}" },
  { ...callOutput, call_id: plain },
  { type: "message", role: "assistant", content: [] },
  { type: "reasoning", summary: [], encrypted_content: "gAAA" },
];
const context: ResponsesContext = { id: "resp_1", previous: [], onResponse: () => {}, itemHolders };
const ask = user("and now?");

describe("item ids on a route serving the Responses API", () => {
  test("a stored chain moving here: what the gateway or another provider named goes without its id, bare reasoning left out; the route's own keep theirs", () => {
    const body = { model: "m", previous_response_id: "resp_t2", input: [ask] };
    const adapted = adaptDialect("responses", body, native, "m", { ...context, previous: conversation });
    expect(adapted.body).toEqual({ model: "m", input: [...asRead, ask] });
    expect(adapted.native?.rewritten).toBe(true);
  });

  test("the same items sent back as the caller's input: the same", () => {
    const body = { model: "m", input: [...conversation, ask] };
    const adapted = adaptDialect("responses", body, native, "m", context);
    expect(adapted.body).toEqual({ model: "m", input: [...asRead, ask] });
  });

  test("on the route holding the chain: it stays there, the input's ids checked alone", () => {
    const input = [ownMessage, translatedMessage, ask];
    const body = { model: "m", previous_response_id: "resp_up1", input };
    const adapted = adaptDialect("responses", body, native, "m", {
      ...context,
      previous: conversation,
      previousHolder: "oa",
    });
    expect(adapted.body).toEqual({ ...body, input: [ownMessage, asRead[7], ask] });
  });

  test("the route's own ids alone, or ids none can tell of (a conversation a connection keeps): the body as sent", () => {
    const body = { model: "m", input: [ownReasoning, ownMessage, ask] };
    expect(adaptDialect("responses", body, native, "m", context).body).toBe(body);
    const untold = { model: "m", input: [{ ...translatedMessage, id: "msg_unknown" }, ask] };
    expect(adaptDialect("responses", untold, native, "m", context).body).toBe(untold);
  });

  test("an id the caller's scope does not hold is still OpenAI's 404 on a bare reasoning item", () => {
    const foreign = { id: "rs_theirs", type: "reasoning", summary: [] };
    const body = { model: "m", input: [translatedMessage, foreign, ask] };
    const refused = () =>
      adaptDialect("responses", body, native, "m", { ...context, foreignIds: new Set(["rs_theirs"]) });
    expect(refused).toThrow("Item with id 'rs_theirs' not found.");
    // A long id is quoted cut.
    const long = `rs_${"x".repeat(16_000)}`;
    const withLong = { model: "m", input: [translatedMessage, { ...foreign, id: long }, ask] };
    const refusedLong = () =>
      adaptDialect("responses", withLong, native, "m", { ...context, foreignIds: new Set([long]) });
    expect(refusedLong).toThrow(`Item with id '${long.slice(0, 256)}…' not found.`);
  });
});

describe("a compaction the gateway wrote, on a route serving the Responses API", () => {
  // A translated route's summary (`/responses/compact`, or a compaction_trigger turn): its content
  // is the gateway's, which the upstream cannot decrypt, and its id one it never issued.
  const compaction = compactionItem("We settled on 42.", "resp_c1");
  const summary = { role: "user", content: expect.stringMatching(/\n\nWe settled on 42\.$/) };

  test("sent back as input, with no holder told: its summary as the user turn a chat route is sent, no id", () => {
    const body = { model: "m", input: [compaction, ask] };
    const adapted = adaptDialect("responses", body, native, "m", {
      id: "resp_2",
      previous: [],
      onResponse() {},
    });
    expect(adapted.body.input).toEqual([summary, ask]);
    expect(adapted.body.input).toEqual([summaryTurn(compaction), ask]);
    expect(adapted.native?.rewritten).toBe(true);
  });

  test("in a stored chain moving here, and named by an item_reference: the same", () => {
    const holders = new Map([[String(compaction.id), null]]);
    const body = {
      model: "m",
      previous_response_id: "resp_c1",
      input: [{ type: "item_reference", id: compaction.id }, ask],
    };
    const adapted = adaptDialect("responses", body, native, "m", {
      ...context,
      previous: [user("long talk"), compaction],
      referenced: new Map([[String(compaction.id), compaction]]),
      itemHolders: holders,
    });
    expect(adapted.body).toEqual({ model: "m", input: [user("long talk"), summary, summary, ask] });
  });

  test("OpenAI's own compaction, on its route, goes as it is", () => {
    const own = { id: "cmp_up1", type: "compaction", encrypted_content: "gAAAA" };
    const body = { model: "m", input: [own, ask] };
    const adapted = adaptDialect("responses", body, native, "m", {
      ...context,
      itemHolders: new Map([["cmp_up1", "oa"]]),
    });
    expect(adapted.body).toBe(body);
  });
});
