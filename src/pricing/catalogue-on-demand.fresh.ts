import { expect, test } from "bun:test";
import { NotLoadedError } from "../core/on-demand.ts";
import { calcPrice, catalogueLoaded, catalogueReadyFor, loadCatalogueFor } from "./catalogue-on-demand.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): the catalogue is not loaded
// until a test here loads it, and the tests run in order.

const mock = { type: "mock" };
const selfHosted = { type: "openai", preset: "ollama" };
const openai = { type: "openai" };

test("before any config names a provider it prices, the catalogue is not loaded, and reading it is the gateway's mistake", () => {
  expect(catalogueLoaded()).toBe(false);
  expect(catalogueReadyFor([mock, selfHosted])).toBe(true);
  expect(catalogueReadyFor([mock, openai])).toBe(false);
  expect(() => calcPrice({ input_tokens: 1, output_tokens: 1 }, "gpt-4o")).toThrow(NotLoadedError);
});

test("providers it does not price load nothing; the first it prices loads it", async () => {
  await loadCatalogueFor([mock, selfHosted]);
  expect(catalogueLoaded()).toBe(false);
  await loadCatalogueFor([mock, openai]);
  expect(catalogueLoaded()).toBe(true);
  expect(catalogueReadyFor([openai])).toBe(true);
  expect(
    calcPrice({ input_tokens: 1e6, output_tokens: 0 }, "gpt-4o", { providerId: "openai" })?.provider.id,
  ).toBe("openai");
});
