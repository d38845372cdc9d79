import { describe, expect, spyOn, test } from "bun:test";
import { configSchema } from "../config/config-schema.ts";
import { ModelIndex } from "../models/model-index.ts";
import { MOST_CACHED_LOOKUPS } from "./bounded-cache.ts";
import { PriceBook } from "./price-book.ts";

const config = configSchema.parse({
  providers: [
    { name: "oai", type: "openai", api_key: "k" },
    { name: "claude", type: "anthropic" },
    { name: "br", type: "bedrock", region: "us-east-1" },
    { name: "lab", type: "openai", preset: "vllm" },
  ],
  models: [
    { name: "mini", routes: [{ provider: "oai", model: "gpt-4o-mini" }] },
    { name: "sonnet", routes: [{ provider: "claude", model: "claude-sonnet-4-5" }] },
    {
      name: "mixed",
      routes: [
        { provider: "oai", model: "gpt-4o" },
        { provider: "lab", model: "qwen2.5-7b" },
      ],
    },
    { name: "free-llama", allow_unpriced: true, routes: [{ provider: "workers", model: "llama" }] },
    { name: "nova", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] },
    { name: "listed", aliases: ["listed-2024-07-18"], routes: [{ provider: "lab", model: "x" }] },
    { name: "claude-*", routes: [{ provider: "claude", model: "*" }] },
    { name: "lab-*", allow_unpriced: true, routes: [{ provider: "lab", model: "*" }] },
  ],
  prices: {
    "house-*": { input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.5 },
    listed: { input_per_mtok: 4, output_per_mtok: 8 },
    "claude-house": { input_per_mtok: 5, output_per_mtok: 5 },
    "house-voice": {
      input_per_mtok: 2,
      output_per_mtok: 10,
      cache_write_per_mtok: 3,
      cache_write_1h_per_mtok: 4,
      input_audio_per_mtok: 30,
      output_audio_per_mtok: 60,
      web_searches_per_k: 10,
    },
  },
});
const book = new PriceBook(config);

describe("PriceBook", () => {
  test("the catalogue prices the upstream model on the provider that served it", () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(
      book.cost("mini", usage, { route: "provider:oai", upstreamModel: "gpt-4o-mini" }, Date.now()),
    ).toBeCloseTo(0.75, 9);
  });

  test("cache reads are billed at the cache rate (catalogue and config alike)", () => {
    const cached = { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 800_000 };
    const full = book.cost(
      "x",
      { inputTokens: 1_000_000, outputTokens: 0 },
      { route: "provider:oai", upstreamModel: "gpt-4o" },
      Date.now(),
    );
    const withCache = book.cost("x", cached, { route: "provider:oai", upstreamModel: "gpt-4o" }, Date.now());
    expect(full).toBeCloseTo(2.5, 9);
    expect(withCache).toBeCloseTo(0.2 * 2.5 + 0.8 * 1.25, 9);
    expect(book.cost("house-1", cached, undefined, Date.now())).toBeCloseTo(0.2 * 1 + 0.8 * 0.5, 9);
  });

  test("cache reads past the prompt's count are charged as the prompt's (a usage no upstream reader held: an embedder's provider's)", () => {
    const over = { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 5000 };
    const whole = { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 1000 };
    const served = { route: "provider:oai", upstreamModel: "gpt-4o" };
    expect(book.cost("x", over, served, Date.now())).toBeCloseTo(
      book.cost("x", whole, served, Date.now()),
      12,
    );
    expect(book.cost("x", whole, served, Date.now())).toBeCloseTo((1000 * 1.25) / 1e6, 12);
    expect(book.cost("house-1", over, undefined, Date.now())).toBeCloseTo((1000 * 0.5) / 1e6, 12);
  });

  test("a config price bills hour-long cache writes, audio and web searches at their own rates, else as their whole", () => {
    const usage = {
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      cacheWriteTokens: 300_000,
      cacheWrite1hTokens: 100_000,
      inputAudioTokens: 500_000,
      outputAudioTokens: 250_000,
      webSearches: 7,
    };
    const plainInput = 1_000_000 - 300_000 - 500_000;
    expect(book.cost("house-voice", usage, undefined, Date.now())).toBeCloseTo(
      (plainInput * 2 + 200_000 * 3 + 100_000 * 4 + 500_000 * 30 + 750_000 * 10 + 250_000 * 60) / 1e6 + 0.07,
      9,
    );
    // Without those rates: writes at the input price, audio as text, searches not charged.
    expect(book.cost("listed", usage, undefined, Date.now())).toBeCloseTo(4 + 8, 9);
  });

  test("a price in config overrides the catalogue; workers and self-hosted servers have none", () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(
      book.cost("house-model", usage, { route: "provider:oai", upstreamModel: "gpt-4o" }, Date.now()),
    ).toBeCloseTo(3, 9);
    expect(
      book.cost("free-llama", usage, { route: "worker:gpu-1", upstreamModel: "llama" }, Date.now()),
    ).toBe(0);
    expect(
      book.cost("mixed", usage, { route: "provider:lab", upstreamModel: "qwen2.5-7b" }, Date.now()),
    ).toBe(0);
  });

  test("priced means every route is: one self-hosted route leaves a model unpriced, unless allowed", () => {
    expect(book.isPriced("mini")).toBe(true);
    expect(book.isPriced("sonnet")).toBe(true);
    expect(book.isPriced("mixed")).toBe(false);
    expect(book.isPriced("free-llama")).toBe(true);
    expect(book.isPriced("house-x")).toBe(true);
    expect(book.isPriced("not-configured")).toBe(false);
  });

  test("sources say where each route's price comes from, with context windows", () => {
    const [mini] = book.sources("mini");
    expect(mini?.kind === "catalogue" && mini.entry).toMatchObject({
      id: "openai/gpt-4o-mini",
      contextWindow: 128000,
    });
    expect(book.sources("mixed").map((s) => s.kind)).toEqual(["catalogue", "unpriced"]);
    expect(book.sources("house-2")).toEqual([{ kind: "config", pattern: "house-*" }]);
    expect(book.contextWindow("claude", "claude-sonnet-4-5")).toBe(200000);
    expect(book.sources("nova")[0]?.kind).toBe("catalogue");
  });

  test("an alias is priced as its entry, by the entry's price in prices:", () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(book.cost("listed-2024-07-18", usage, { route: "provider:lab", upstreamModel: "x" }, 0)).toBe(12);
    expect(book.isPriced("listed-2024-07-18")).toBe(true);
    expect(book.sources("listed-2024-07-18")).toEqual([{ kind: "config", pattern: "listed" }]);
  });

  test("a name only a glob entry matches takes that entry's allow_unpriced and its routes' prices", () => {
    expect(book.isPriced("lab-anything")).toBe(true);
    // A `*` route sends the client's name on: the catalogue prices that name.
    expect(book.isPriced("claude-sonnet-4-5")).toBe(true);
    expect(book.sources("claude-sonnet-4-5")[0]?.kind).toBe("catalogue");
    expect(book.isPriced("claude-not-in-the-catalogue")).toBe(false);
  });

  test("a glob entry's `*` route is priced by the catalogue under each name sent, where its provider has a catalogue", () => {
    const entry = (name: string) => config.models.find((m) => m.name === name)!;
    // Not the glob's text looked up as a model name, which no catalogue lists.
    expect(book.entrySources(entry("claude-*"))).toEqual([
      { kind: "catalogue-by-name", providerId: "anthropic" },
    ]);
    // A self-hosted server's names have no catalogue price, whatever is sent.
    expect(book.entrySources(entry("lab-*"))).toEqual([{ kind: "unpriced" }]);
    // An entry that is no glob is its name's sources; a glob with a concrete route, that route's.
    expect(book.entrySources(entry("mixed"))).toEqual(book.sources("mixed"));
    const other = configSchema.parse({
      providers: [{ name: "oai", type: "openai", api_key: "k" }],
      models: [
        {
          name: "fast-*",
          routes: [
            { provider: "oai", model: "gpt-4o-mini" },
            { provider: "oai", model: "*" },
            { provider: "workers", model: "*" },
          ],
        },
        { name: "house-*", routes: [{ provider: "oai", model: "*" }] },
      ],
      prices: { "house-*": { input_per_mtok: 1, output_per_mtok: 1 } },
    });
    const [fast, house] = other.models;
    const otherBook = new PriceBook(other);
    expect(otherBook.entrySources(fast!).map((s) => s.kind)).toEqual([
      "catalogue",
      "catalogue-by-name",
      "unpriced",
    ]);
    // A price for the glob covers every name it matches, on every route.
    expect(otherBook.entrySources(house!)).toEqual([{ kind: "config", pattern: "house-*" }]);
    // What a request is admitted by is unchanged: the name it sent.
    expect(book.isPriced("claude-sonnet-4-5")).toBe(true);
    expect(book.isPriced("claude-*")).toBe(false);
  });

  test("a price naming a concrete name under a glob entry still wins for that name", () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(book.cost("claude-house", usage, undefined, 0)).toBe(10);
    expect(book.isPriced("claude-house")).toBe(true);
  });

  test("a model name is never found on the prices object's prototype", () => {
    expect(book.isPriced("constructor")).toBe(false);
    expect(book.cost("constructor", { inputTokens: 1, outputTokens: 1 }, undefined, 0)).toBe(0);
  });

  test("a configured name's price is looked up once a price book, not through the bounded cache admission's made-up names share: a model listing thrashes nothing", () => {
    const names = Array.from({ length: MOST_CACHED_LOOKUPS + 500 }, (_, i) => `m${i}`);
    const many = configSchema.parse({
      providers: [{ name: "oai", type: "openai", api_key: "k" }],
      models: names.map((name, i) => ({
        name,
        routes: [{ provider: "oai", model: i % 2 ? "gpt-4o" : `custom-${i}` }],
      })),
    });
    const fresh = new PriceBook(many);
    for (let listing = 0; listing < 2; listing++)
      expect(names.filter((name) => fresh.isPriced(name))).toHaveLength(names.length / 2);
    expect(fresh.cachedLookups).toBe(0);
    // A name only a glob entry matches is a client's, looked up through the cache as before.
    const book = new PriceBook(config);
    expect([book.isPriced("mini"), book.isPriced("nova")]).toEqual([true, true]);
    expect(book.cachedLookups).toBe(0);
    expect(book.isPriced("claude-sonnet-4-5")).toBe(true);
    expect(book.cachedLookups).toBe(1);
  });

  test("names a client makes up under a `*` route are looked up, but the lookups kept are bounded", () => {
    const fresh = new PriceBook(config);
    expect(fresh.isPriced("claude-sonnet-4-5")).toBe(true);
    for (let i = 0; i < MOST_CACHED_LOOKUPS + 500; i++)
      expect(fresh.isPriced(`claude-made-up-${i}`)).toBe(false);
    expect(fresh.cachedLookups).toBe(MOST_CACHED_LOOKUPS);
    // A real name let go is looked up again on its next use.
    expect(fresh.isPriced("claude-sonnet-4-5")).toBe(true);
    expect(fresh.cachedLookups).toBe(MOST_CACHED_LOOKUPS);
  });
});

test("a config pricing no models: entry under its own name looks up no entry for a name a price glob covers", () => {
  // The routed entry's own price is looked up first only where one exists: every costed answer
  // of a name without a price of its own looked up its entry (a map, then the entry globs).
  const usage = { inputTokens: 1_000_000, outputTokens: 0 };
  const models = [{ name: "claude-*", routes: [{ provider: "claude", model: "*" }] }];
  const globOnly = new PriceBook(
    configSchema.parse({
      providers: [{ name: "claude", type: "anthropic" }],
      models,
      prices: { "claude-opus-*": { input_per_mtok: 3, output_per_mtok: 3 } },
    }),
  );
  const lookups = spyOn(ModelIndex.prototype, "planOf");
  const matches = spyOn(ModelIndex.prototype, "match");
  try {
    expect(globOnly.cost("claude-opus-4-5", usage, undefined, Date.now())).toBeCloseTo(3, 9);
    expect(lookups).toHaveBeenCalledTimes(0);
    expect(matches).toHaveBeenCalledTimes(0);
    // Where an entry has a price of its own, the entry is looked up: it may win.
    const entryPriced = new PriceBook(
      configSchema.parse({
        providers: [{ name: "claude", type: "anthropic" }],
        models: [
          ...models,
          { name: "house", aliases: ["house-latest"], routes: [{ provider: "claude", model: "x" }] },
        ],
        prices: {
          "house-*": { input_per_mtok: 1, output_per_mtok: 1 },
          house: { input_per_mtok: 7, output_per_mtok: 7 },
        },
      }),
    );
    expect(entryPriced.cost("house-latest", usage, undefined, Date.now())).toBeCloseTo(7, 9);
    // Once, the match naming the pattern that matched (an alias may be a glob): `pricePattern`.
    expect(matches).toHaveBeenCalledTimes(1);
    expect(lookups).toHaveBeenCalledTimes(0);
  } finally {
    lookups.mockRestore();
    matches.mockRestore();
  }
});

describe("PriceBook on a provider whose preset comes from its host", () => {
  test("a type: openai provider on api.mistral.ai is priced from Mistral's catalogue, as with preset: mistral", () => {
    const mistral = (provider: Record<string, unknown>) =>
      new PriceBook(
        configSchema.parse({
          providers: [{ name: "ms", type: "openai", api_key: "k", ...provider }],
          models: [{ name: "large", routes: [{ provider: "ms", model: "mistral-large-latest" }] }],
        }),
      );
    const byHost = mistral({ base_url: "https://api.mistral.ai/v1" });
    const byPreset = mistral({ base_url: "https://api.mistral.ai/v1", preset: "mistral" });
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    const served = { route: "provider:ms", upstreamModel: "mistral-large-latest" };
    expect(byPreset.isPriced("large")).toBe(true);
    expect(byHost.isPriced("large")).toBe(true);
    expect(byHost.cost("large", usage, served, Date.now())).toBe(
      byPreset.cost("large", usage, served, Date.now()),
    );
    expect(byHost.contextWindow("ms", "mistral-large-latest")).toBe(
      byPreset.contextWindow("ms", "mistral-large-latest"),
    );
  });
});

test("a price glob narrower than a priced glob entry prices its names only when written before the entry's price", () => {
  // The first price glob over the name decides: written after the entry's own `claude-*` price,
  // `claude-opus-*` never comes first, and the entry's price stands (config.example.yaml, PROVIDERS.md).
  const usage = { inputTokens: 1_000_000, outputTokens: 0 };
  const book = (prices: Record<string, { input_per_mtok: number; output_per_mtok: number }>) =>
    new PriceBook(
      configSchema.parse({
        providers: [{ name: "claude", type: "anthropic" }],
        models: [{ name: "claude-*", routes: [{ provider: "claude", model: "*" }] }],
        prices,
      }),
    );
  const cheap = { input_per_mtok: 3, output_per_mtok: 3 };
  const dear = { input_per_mtok: 75, output_per_mtok: 75 };
  const before = book({ "claude-opus-*": dear, "claude-*": cheap });
  const after = book({ "claude-*": cheap, "claude-opus-*": dear });
  expect(before.cost("claude-opus-4-5", usage, undefined, Date.now())).toBeCloseTo(75, 9);
  expect(after.cost("claude-opus-4-5", usage, undefined, Date.now())).toBeCloseTo(3, 9);
});
