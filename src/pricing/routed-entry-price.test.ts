import { expect, test } from "bun:test";
import OpenAI from "openai";
import { seriesBy } from "../testing/metric-series.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { storedGateway } from "../testing/stored-gateway.ts";

// Two entries answer to gpt-4o-mini, everyone's `gpt-*` and team-b's more specific `gpt-4o*`, and
// `prices:` prices each entry under its own name. team-b's gpt-4o-mini is routed by `gpt-4o*`, and
// `mindgw models` and the console show that entry at its own price; yet it was charged everyone's,
// `gpt-*`, the first price glob written that matched the name sent: the entry's own price applied
// to no request at all (written after `gpt-*`, it never could).

const CHEAP = { input_per_mtok: 1, output_per_mtok: 1 };
const DEAR = { input_per_mtok: 1000, output_per_mtok: 1000 };

const gw = storedGateway({
  providers: [{ name: "demo", type: "mock" }],
  models: [
    { name: "gpt-*", routes: [{ provider: "demo", model: "*" }] },
    { name: "gpt-4o*", tenant: "team-b", routes: [{ provider: "demo", model: "team-b-model" }] },
    { name: "house", aliases: ["house-latest"], routes: [{ provider: "demo", model: "house" }] },
    { name: "claude-*", routes: [{ provider: "demo", model: "*" }] },
    { name: "gemini-*", routes: [{ provider: "demo", model: "*" }] },
    // An exact entry with a glob alias: names it matches are routed by a glob, as claude-*'s are.
    { name: "llama", aliases: ["llama-*"], routes: [{ provider: "demo", model: "*" }] },
  ],
  // Globs before the names they cover: a price glob written first must not take an entry's own price.
  prices: {
    "gpt-*": CHEAP,
    "house-*": CHEAP,
    "gpt-4o*": DEAR,
    house: DEAR,
    // A glob narrower than its entry, written before the entry's price: it keeps the names it
    // covers (written after it, the entry's price, the first price glob over the name, wins).
    "claude-opus-*": DEAR,
    "claude-*": CHEAP,
    "gemini-*": CHEAP,
    "gemini-pro-*": DEAR,
    "llama-big-*": DEAR,
    llama: CHEAP,
  },
  tenants: [{ name: "team-b" }, { name: "team-c" }],
});

let port: number | undefined;

/** A chat through the official SDK; its audit row's cost per token (USD per million). */
async function ratePaid(key: string, model: string): Promise<number> {
  port ??= gw.gateway.listen("127.0.0.1", 0).port;
  const openai = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  const answer = await openai.chat.completions
    .create({ model, messages: [{ role: "user", content: "hi" }] })
    .asResponse();
  const row = await recordOf(gw.finished, answer);
  return (row.costUsd / (row.inputTokens + row.outputTokens)) * 1_000_000;
}

const keyOf = async (tenant: string) =>
  ((await (await gw.call("POST", "/admin/api/keys", { name: tenant, tenant })).json()) as { key: string })
    .key;

test("a request is charged the price of the entry it was routed by, not of a price glob written earlier that also matches its name", async () => {
  const [b, c] = await Promise.all([keyOf("team-b"), keyOf("team-c")]);
  // team-b's gpt-4o-mini goes by its own `gpt-4o*`: that entry's price.
  expect(await ratePaid(b, "gpt-4o-mini")).toBeCloseTo(1000, 6);
  // A name only everyone's `gpt-*` matches: everyone's price, for team-b and team-c alike.
  expect(await ratePaid(b, "gpt-4")).toBeCloseTo(1, 6);
  expect(await ratePaid(c, "gpt-4")).toBeCloseTo(1, 6);
  // An alias goes by its entry too: `house`'s own price, not the `house-*` glob's.
  expect(await ratePaid(c, "house-latest")).toBeCloseTo(1000, 6);
  // The metrics count each under the entry it went by, at what it was charged.
  const scraped = await (await gw.call("GET", "/metrics")).text();
  const spent = seriesBy(scraped, "mindgw_cost_usd_total", ["model"]);
  const charged = Object.entries(spent).filter(([, usd]) => usd > 0);
  expect(charged.map(([model]) => model).sort()).toEqual(["gpt-*", "gpt-4o*", "house-latest"]);
  // One gpt-4o-mini at $1000/M against two calls at $1/M, of the same few tokens each.
  expect(spent["gpt-4o*"] ?? 0).toBeGreaterThan((spent["gpt-*"] ?? 0) * 100);
});

test("a price glob narrower than the entry a name is routed by still prices that name first", async () => {
  // `claude-opus-*` inside the entry `claude-*`, priced under its own name: claude-opus-4-5 was
  // charged the entry's $1/M once the entry's price came before every glob, $1000/M before that.
  const c = await keyOf("team-c");
  expect(await ratePaid(c, "claude-opus-4-5")).toBeCloseTo(1000, 6);
  expect(await ratePaid(c, "claude-haiku-4-5")).toBeCloseTo(1, 6);
  // The first price glob over the name decides, as it always has, but for one as wide as the entry
  // (its own included), which gives way to the entry's own price: `gemini-*`, written first, wins.
  expect(await ratePaid(c, "gemini-pro-2")).toBeCloseTo(1, 6);
});

test("a price glob narrower than an exact entry's glob alias still prices the names it covers", async () => {
  // `llama-big-2` is routed by the alias `llama-*` of the entry `llama`, priced under its own name:
  // judged by the entry's name (no `*`), the entry's $1/M won over `llama-big-*`'s $1000/M written first.
  const c = await keyOf("team-c");
  expect(await ratePaid(c, "llama-big-2")).toBeCloseTo(1000, 6);
  expect(await ratePaid(c, "llama-small-2")).toBeCloseTo(1, 6);
  expect(await ratePaid(c, "llama")).toBeCloseTo(1, 6);
});
