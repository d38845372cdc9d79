import type { Pair, Round } from "./ab.ts";
import { formatInterval, ratioInterval } from "./interval.ts";

/**
 * With AB_STARTS > 1 (bench/ab.ts): each start's b ÷ a req/s (the geometric mean of its rounds),
 * and their geometric mean with its 95 % interval over the starts. Two processes of one binary
 * stay a few per cent apart for as long as they run, so rounds of the same two processes are not
 * independent samples of what a feature costs; the starts are. Also the main thread's a ÷ b.
 */
export function startTable(results: readonly { pair: Pair; rounds: readonly Round[] }[]): string[] {
  const lines = [
    "By start (AB_STARTS): each start's b ÷ a req/s and a ÷ b main-thread µs/req (geometric means of",
    "its rounds), then their geometric mean with its 95 % interval over the starts: the targets'",
    "processes are new at each start, so this interval counts what differs between two processes of",
    "one binary, which the rounds' interval above does not.",
    "",
    "| pair | scenario | starts | b ÷ a req/s, each start | over the starts | a ÷ b main, each start | over the starts |",
    "| --- | --- | ---: | --- | ---: | --- | ---: |",
  ];
  for (const { pair, rounds } of results) {
    const byStart = new Map<number, Round[]>();
    for (const round of rounds) byStart.set(round.start, [...(byStart.get(round.start) ?? []), round]);
    const each = (ratio: (r: Round) => number) =>
      [...byStart.values()].map((rs) => ratioInterval(rs.map(ratio)).mean);
    const rps = each((r) => r.b.rps / r.a.rps);
    const main = each((r) => r.a.mainUsPerRequest / r.b.mainUsPerRequest);
    const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(", ");
    lines.push(
      `| ${pair.id} | ${pair.scenario} | ${byStart.size} | ${list(rps)} | ${formatInterval(ratioInterval(rps))} | ${list(main)} | ${formatInterval(ratioInterval(main))} |`,
    );
  }
  return lines;
}
