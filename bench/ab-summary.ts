/**
 * Pools the rounds of several bench/ab.ts runs: median (min–max) over every round.
 *   bun bench/ab-summary.ts .bench-out/ab-*.json
 */

import { median, spread as stat } from "./stats.ts";
import type { WrkResult } from "./wrk.ts";

interface Saved {
  pair: { id: string; a: string; b: string; c: number; scenario: string };
  rounds: { a: WrkResult; b: WrkResult }[];
}

const files = process.argv.slice(2);
if (files.length === 0) throw new Error("usage: bun bench/ab-summary.ts AB.json...");
const saved: Saved[] = (
  await Promise.all(files.map(async (f) => JSON.parse(await Bun.file(f).text()) as Saved[]))
).flat();

const groups = new Map<string, Saved[]>();
for (const s of saved) {
  const key = `${s.pair.id}|${s.pair.scenario}`;
  groups.set(key, [...(groups.get(key) ?? []), s]);
}
const out = [
  `Pooled over ${files.length} runs; per round b ÷ a and b − a, median (min–max).`,
  "",
  "| pair | scenario | c | a | b | rounds | a req/s | b req/s | b ÷ a | +p50 ms | +p99 ms |",
  "| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
];
for (const group of groups.values()) {
  const { pair } = group[0] as Saved;
  const rs = group.flatMap((g) => g.rounds);
  out.push(
    `| ${pair.id} | ${pair.scenario} | ${pair.c} | ${pair.a} | ${pair.b} | ${rs.length} | ${median(rs.map((r) => r.a.rps)).toFixed(0)} | ${median(rs.map((r) => r.b.rps)).toFixed(0)} | ${stat(
      rs.map((r) => r.b.rps / r.a.rps),
      3,
    )} | ${stat(
      rs.map((r) => (r.b.p50 - r.a.p50) / 1000),
      3,
    )} | ${stat(
      rs.map((r) => (r.b.p99 - r.a.p99) / 1000),
      2,
    )} |`,
  );
}
console.log(out.join("\n"));
