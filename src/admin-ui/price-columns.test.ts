import { expect, test } from "bun:test";
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
