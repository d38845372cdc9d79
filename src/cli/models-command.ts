import type { Command } from "commander";
import { modelPrices, type RoutePrice, unpricedWarnings } from "../pricing/model-prices.ts";
import { resolveConfig } from "./resolve-config.ts";
import { type Column, textTable } from "./text-table.ts";

const usd = (value: number | null) => (value === null ? "-" : `$${value}`);

const COLUMNS: readonly Column<RoutePrice>[] = [
  ["MODEL", (r) => r.model],
  ["ROUTE", (r) => `${r.provider}/${r.upstreamModel}`],
  ["INPUT/MTOK", (r) => usd(r.inputPerMtok)],
  ["OUTPUT/MTOK", (r) => usd(r.outputPerMtok)],
  ["CACHED/MTOK", (r) => usd(r.cachedInputPerMtok)],
  ["CONTEXT", (r) => (r.contextWindow === null ? "-" : String(r.contextWindow))],
  ["PRICE FROM", (r) => (r.source === "unpriced" && r.allowUnpriced ? "unpriced (allowed)" : r.source)],
];

export function registerModels(program: Command): void {
  program
    .command("models")
    .description("print each configured model's routes with what they cost and where the price comes from")
    .option("-c, --config <file>", "config file (default: $MINDGW_CONFIG, else the embedded defaults)")
    .option("--json", "one JSON object per route, one per line")
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await resolveConfig(options.config);
      const routes = modelPrices(config);
      if (options.json) process.stdout.write(routes.map((route) => `${JSON.stringify(route)}\n`).join(""));
      else process.stdout.write(textTable(COLUMNS, routes));
      for (const warning of unpricedWarnings(config)) process.stderr.write(`${warning}\n`);
    });
}
