import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { inputItemsPage } from "./input-items-page.ts";

const items = Array.from({ length: 5 }, (_, i) => ({
  id: `msg_${i}`,
  type: "message",
  role: "user",
  content: `m${i}`,
}));
const page = (query: string) => inputItemsPage(items, new URLSearchParams(query));
const ids = (query: string) => (page(query).data as { id: string }[]).map((item) => item.id);
const refusal = (query: string) => {
  try {
    page(query);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error(`not refused: ${query}`);
};

describe("inputItemsPage", () => {
  test("newest first, 20 by default; a message's string content as one input_text part", () => {
    const all = page("");
    expect(ids("")).toEqual(["msg_4", "msg_3", "msg_2", "msg_1", "msg_0"]);
    expect(all).toMatchObject({ object: "list", first_id: "msg_4", last_id: "msg_0", has_more: false });
    expect(all.data).toContainEqual({
      id: "msg_0",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_text", text: "m0" }],
    });
  });

  test("limit, order and after walk the list page by page", () => {
    expect(ids("limit=2&order=asc")).toEqual(["msg_0", "msg_1"]);
    expect(page("limit=2&order=asc").has_more).toBe(true);
    expect(ids("limit=2&order=asc&after=msg_1")).toEqual(["msg_2", "msg_3"]);
    expect(ids("limit=2&order=asc&after=msg_3")).toEqual(["msg_4"]);
    expect(page("limit=2&order=asc&after=msg_3").has_more).toBe(false);
    expect(ids("limit=2&after=msg_3")).toEqual(["msg_2", "msg_1"]);
  });

  test("before: the items just before it", () => {
    expect(ids("order=asc&before=msg_3&limit=2")).toEqual(["msg_1", "msg_2"]);
    expect(page("order=asc&before=msg_3&limit=2").has_more).toBe(true);
  });

  test("an assistant's string content is an output_text part; other items pass as stored", () => {
    const listed = inputItemsPage(
      [
        { id: "a", role: "assistant", content: "hi" },
        { id: "b", type: "function_call_output", call_id: "c", output: "x" },
      ],
      new URLSearchParams("order=asc"),
    ).data;
    expect(listed).toEqual([
      {
        id: "a",
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "hi", annotations: [] }],
      },
      { id: "b", type: "function_call_output", call_id: "c", output: "x" },
    ]);
  });

  test("include takes OpenAI's includables, both spellings of the key", () => {
    expect(ids("include[]=message.input_image.image_url&include=reasoning.encrypted_content")).toHaveLength(
      5,
    );
  });

  test("an invalid parameter is a 400 naming it", () => {
    for (const [query, param] of [
      ["limit=abc", "limit"],
      ["limit=1.5", "limit"],
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["order=up", "order"],
      ["after=nope", "after"],
      ["before=nope", "before"],
      ["include[]=all", "include"],
    ] as const) {
      const error = refusal(query);
      expect([query, error.status, error.param]).toEqual([query, 400, param]);
    }
    expect(refusal("limit=abc").message).toContain("Invalid 'limit'");
  });

  test("a long value the 400 quotes is cut at 256 characters", () => {
    const long = "a-".repeat(8_000);
    const cut = `${long.slice(0, 256)}…`;
    expect(refusal(`order=${long}`).message).toBe(
      `Invalid value: '${cut}'. Supported values are: 'asc' and 'desc'.`,
    );
    expect(refusal(`include[]=${long}`).message).toStartWith(`Invalid value: '${cut}'. Supported values`);
    expect(refusal(`limit=${"9".repeat(8_000)}x`).message).toBe(
      `Invalid 'limit': expected an integer, but got '${"9".repeat(256)}…' instead.`,
    );
    expect(refusal(`after=${long}`).message).toBe(
      `Invalid 'after': no input item of this response has id '${cut}'.`,
    );
  });

  test("ids stored twice (an earlier release's text, call, text) are listed once each: a cursor walks on to the end", () => {
    const stored = [
      { id: "msg_u", type: "message", role: "user", content: "look" },
      { id: "msg_a", type: "message", role: "assistant", content: "First." },
      { id: "fc_a_0", type: "function_call", call_id: "c", name: "w", arguments: "{}" },
      { id: "msg_a", type: "message", role: "assistant", content: "Then." },
      { id: "msg_a_1", type: "message", role: "user", content: "taken" },
      { id: "msg_a", type: "message", role: "assistant", content: "Again." },
    ];
    for (const order of ["asc", "desc"]) {
      const walked: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const query = new URLSearchParams({ limit: "2", order, ...(after ? { after } : {}) });
        const listed = inputItemsPage(stored, query);
        walked.push(...(listed.data as { id: string }[]).map((item) => item.id));
        if (!listed.has_more) break;
        after = listed.last_id as string;
      }
      const oldestFirst = order === "asc" ? walked : [...walked].reverse();
      expect([order, oldestFirst]).toEqual([
        order,
        ["msg_u", "msg_a", "fc_a_0", "msg_a_2", "msg_a_1", "msg_a_3"],
      ]);
    }
  });
});
