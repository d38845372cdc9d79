import { expect, test } from "bun:test";
import { priceTableSchema } from "../config/price-table.ts";
import { priceColumns } from "./price-columns.ts";

test("a column for each rate beyond input and output that some price sets, in the config's order", () => {
  const columns = priceColumns({
    "claude-*": {
      input_per_mtok: 3,
      output_per_mtok: 15,
      cache_write_per_mtok: 3.75,
      cached_input_per_mtok: 0.3,
    },
    "gpt-4o-audio": { input_per_mtok: 2.5, output_per_mtok: 10, output_audio_per_mtok: 80 },
    plain: { input_per_mtok: 1, output_per_mtok: 2 },
  });
  expect(columns.map((column) => column.rate)).toEqual([
    "cached_input_per_mtok",
    "cache_write_per_mtok",
    "output_audio_per_mtok",
  ]);
});

test("plain input and output prices get no extra column", () => {
  expect(priceColumns({ plain: { input_per_mtok: 1, output_per_mtok: 2 } })).toEqual([]);
  expect(priceColumns({})).toEqual([]);
});

test("every rate the schema has beyond input and output has a column", () => {
  const rates = Object.keys(priceTableSchema.valueType.shape).filter(
    (rate) => rate !== "input_per_mtok" && rate !== "output_per_mtok",
  );
  const every = Object.fromEntries(rates.map((rate) => [rate, 1]));
  const columns = priceColumns({ all: { input_per_mtok: 1, output_per_mtok: 1, ...every } });
  expect(columns.map((column): string => column.rate)).toEqual(rates);
});
