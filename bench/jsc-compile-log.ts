/**
 * Reads what JavaScriptCore prints with `BUN_JSC_reportCompileTimes=true` (one `Optimized …` line
 * a compile) and `BUN_JSC_printEachOSRExit=true` (one `Speculation failure in …` line an exit):
 * compiles by function and tier, code blocks compiled again and again, exits by site and kind.
 * A line names a code block as `name#hash:[newest->…->oldest, …, bytecodes …]`; the oldest
 * pointer is the function's first code block, so the compiles of one function in one VM (the
 * main thread, a Worker) share it, and one function loaded by two threads is two chains.
 */

/** One compile: the function (`name#hash`), its first code block, its bytecode size, the tier. */
export interface Compile {
  fn: string;
  chain: string;
  bytecodes: number;
  tier: string;
}

/** One OSR exit: the function, the tier it left, the bytecode and the kind (BadCache, BadType…). */
export interface Exit {
  fn: string;
  from: string;
  site: string;
  kind: string;
}

const COMPILE = /^Optimized ([^:]*):\[([^,\]]*), [^,\]]*, (\d+)[^\]]*\] using (\w+)/;
const EXIT =
  /^Speculation failure in ([^:]*):\[[^,\]]*, ([A-Za-z]+?)FunctionCall[^\]]*\] @ exit #\d+ \((bc#\d+), (\w+)\)/;

export function compilesIn(log: string): Compile[] {
  const out: Compile[] = [];
  for (const line of log.split("\n")) {
    const m = COMPILE.exec(line);
    if (!m) continue;
    const blocks = (m[2] as string).split("->");
    out.push({
      fn: m[1] as string,
      chain: blocks[blocks.length - 1] as string,
      bytecodes: Number(m[3]),
      tier: m[4] as string,
    });
  }
  return out;
}

export function exitsIn(log: string): Exit[] {
  const out: Exit[] = [];
  for (const line of log.split("\n")) {
    const m = EXIT.exec(line);
    if (m) out.push({ fn: m[1] as string, from: m[2] as string, site: m[3] as string, kind: m[4] as string });
  }
  return out;
}

/** Occurrences of each key, most first. */
export function counted<T>(items: T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** Each chain's tiers in order (`DFG FTL DFG FTL` is optimised code thrown away and redone). */
export function chains(
  compiles: Compile[],
): { fn: string; bytecodes: number; tiers: string[]; optimized: number }[] {
  const byChain = new Map<string, { fn: string; bytecodes: number; tiers: string[]; optimized: number }>();
  for (const c of compiles) {
    const key = `${c.fn} ${c.chain}`;
    const entry = byChain.get(key) ?? { fn: c.fn, bytecodes: c.bytecodes, tiers: [], optimized: 0 };
    entry.tiers.push(c.tier);
    if (c.tier !== "Baseline") entry.optimized++;
    byChain.set(key, entry);
  }
  return [...byChain.values()].sort((a, b) => b.optimized - a.optimized);
}
