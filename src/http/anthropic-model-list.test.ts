import { describe, expect, test } from "bun:test";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import {
  anthropicModelPage,
  anthropicModelsQueryOf,
  anthropicModelsQuerySchema,
} from "./anthropic-model-list.ts";
import { parseInput } from "./parse-input.ts";

const IDS = ["a", "b", "c", "d", "e"];
const page = (query: string) =>
  anthropicModelPage(
    IDS,
    parseInput(anthropicModelsQuerySchema, anthropicModelsQueryOf(`http://gw/v1/models${query}`)),
  );
const idsOf = (p: ReturnType<typeof page>) => p.data.map((m) => m.id);

const refusal = (query: string) => gatewayErrorOf(() => page(query));

describe("Anthropic's model list pages", () => {
  test("twenty a page by default, in the gateway's order, each model described as Anthropic does", () => {
    const first = page("");
    expect(first).toMatchObject({ has_more: false, first_id: "a", last_id: "e" });
    expect(idsOf(first)).toEqual(IDS);
    expect(first.data[0]).toEqual({
      type: "model",
      id: "a",
      display_name: "a",
      created_at: "1970-01-01T00:00:00Z",
      lifecycle: "active",
      deprecated_at: null,
      retires_at: null,
      line: null,
      capabilities: null,
      max_input_tokens: null,
      max_tokens: null,
    });
    const many = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const defaults = anthropicModelPage(many, parseInput(anthropicModelsQuerySchema, {}));
    expect({ count: defaults.data.length, more: defaults.has_more, last: defaults.last_id }).toEqual({
      count: 20,
      more: true,
      last: "m19",
    });
  });

  test("forward from after_id, `has_more` until the end", () => {
    expect(page("?limit=2")).toMatchObject({ has_more: true, first_id: "a", last_id: "b" });
    expect(page("?limit=2&after_id=b")).toMatchObject({ has_more: true, first_id: "c", last_id: "d" });
    expect(page("?limit=2&after_id=d")).toMatchObject({ has_more: false, first_id: "e", last_id: "e" });
    expect(page("?limit=2&after_id=e")).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });

  test("backward from before_id: the page right before it, `has_more` while earlier ones remain", () => {
    expect(idsOf(page("?limit=2&before_id=e"))).toEqual(["c", "d"]);
    expect(page("?limit=2&before_id=e").has_more).toBe(true);
    expect(page("?limit=2&before_id=c")).toMatchObject({ has_more: false, first_id: "a", last_id: "b" });
    expect(page("?limit=3&before_id=b")).toMatchObject({ has_more: false, first_id: "a", last_id: "a" });
  });

  test("`lifecycle[]` without `active` lists nothing (every model here is active); with it, all", () => {
    expect(idsOf(page("?lifecycle[]=deprecated&lifecycle[]=retired"))).toEqual([]);
    expect(idsOf(page("?lifecycle[]=deprecated&after_id=zzz"))).toEqual([]);
    expect(idsOf(page("?lifecycle[]=active&lifecycle[]=retired"))).toEqual(IDS);
    expect(idsOf(page("?lifecycle=active&beta=true"))).toEqual(IDS);
  });

  test("bad queries are 400s naming the parameter", () => {
    for (const [query, param] of [
      ["?limit=0", "limit"],
      ["?limit=1001", "limit"],
      ["?limit=two", "limit"],
      ["?after_id=zzz", "after_id"],
      ["?before_id=zzz", "before_id"],
      ["?lifecycle[]=gone", "lifecycle[0]"],
    ] as const) {
      const error = refusal(query);
      expect({ query, status: error.status, param: error.param }).toEqual({ query, status: 400, param });
    }
    const both = refusal("?after_id=a&before_id=c");
    expect(both.status).toBe(400);
    expect(both.message).toContain("not both");
  });

  test("a long id the 400 quotes is cut at 256 characters", () => {
    const long = "a-".repeat(8_000);
    expect(refusal(`?after_id=${long}`).message).toBe(
      `after_id: no model \`${long.slice(0, 256)}…\` in this list`,
    );
  });
});
