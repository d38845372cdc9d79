import type { Command } from "commander";
import { loadCatalogueFor } from "../pricing/catalogue-on-demand.ts";
import { modelPrices, type PartPrices, type RoutePrice, unpricedWarnings } from "../pricing/model-prices.ts";
import { resolveConfig } from "./resolve-config.ts";
import { type Column, textTable } from "./text-table.ts";

const usd = (value: number | null) => (value === null ? "-" : `$${value}`);

/** Which route a row is, in both tables. */
const ROUTE_COLUMNS: readonly Column<RoutePrice>[] = [
  ["MODEL", (r) => r.model],
  ["ROUTE", (r) => `${r.provider}/${r.upstreamModel}`],
];

const COLUMNS: readonly Column<RoutePrice>[] = [
  ...ROUTE_COLUMNS,
  ["INPUT/MTOK", (r) => usd(r.inputPerMtok)],
  ["OUTPUT/MTOK", (r) => usd(r.outputPerMtok)],
  ["CACHED/MTOK", (r) => usd(r.cachedInputPerMtok)],
  ["CONTEXT", (r) => (r.contextWindow === null ? "-" : String(r.contextWindow))],
  ["PRICE FROM", (r) => (r.source === "unpriced" && r.allowUnpriced ? "unpriced (allowed)" : r.source)],
];

/** The parts few prices have a rate of their own for: a table of their own, of the routes that do. */
const PARTS: readonly (readonly [title: string, part: keyof PartPrices])[] = [
  ["CACHE WRITE/MTOK", "cacheWritePerMtok"],
  ["CACHE WRITE 1H/MTOK", "cacheWrite1hPerMtok"],
  ["AUDIO IN/MTOK", "inputAudioPerMtok"],
  ["AUDIO OUT/MTOK", "outputAudioPerMtok"],
  ["SEARCHES/K", "webSearchesPerK"],
];

/**
 * The routes whose price has a rate of its own for any of `PARTS`, with a column for each part
 * some route has one for; nothing when none has. The main table stays as wide as it was.
 */
function partsTable(routes: readonly RoutePrice[]): string {
  const parts = PARTS.filter(([, part]) => routes.some((route) => route[part] !== null));
  const priced = routes.filter((route) => parts.some(([, part]) => route[part] !== null));
  if (priced.length === 0) return "";
  const columns = parts.map(([title, part]): Column<RoutePrice> => [title, (route) => usd(route[part])]);
  return `\n${textTable([...ROUTE_COLUMNS, ...columns], priced)}`;
}

export function registerModels(program: Command): void {
  program
    .command("models")
    .description("print each configured model's routes with what they cost and where the price comes from")
    .option("-c, --config <file>", "config file (default: $MINDGW_CONFIG, else the embedded defaults)")
    .option("--json", "one JSON object per route, one per line")
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await resolveConfig(options.config);
      await loadCatalogueFor(config.providers);
      const routes = modelPrices(config);
      if (options.json) process.stdout.write(routes.map((route) => `${JSON.stringify(route)}\n`).join(""));
      else process.stdout.write(textTable(COLUMNS, routes) + partsTable(routes));
      for (const warning of unpricedWarnings(config)) process.stderr.write(`${warning}\n`);
    });
}
