import type { Command } from "commander";
import { z } from "zod";
import { activeKeyCounts } from "../storage/key-counts.ts";
import { spendTotals } from "../storage/spend-totals.ts";
import { storeUsage, type TenantReport, tenantReports } from "../tenants/tenant-usage.ts";
import { adminFetch } from "./admin-fetch.ts";
import { chooseTarget, type TargetFlags, withTargetOptions } from "./command-target.ts";
import { openConfigStoreReadOnly } from "./config-store.ts";
import { dollars } from "./dollars.ts";
import { resolveStoreConfig } from "./resolve-config.ts";
import { textTable } from "./text-table.ts";

interface TenantsOptions extends TargetFlags {
  json?: boolean;
}

/**
 * A tenants answer as every gateway's holds it (answered-shape.ts): each field the table reads, all
 * answered since tenants came, by JSON type alone (a budget's `per` a newer release adds is text).
 * Checked where the table would end on a script error (`{"tenants":[1]}`): a usage error instead.
 */
const answeredTenants = () => {
  const count = z.number();
  return z.object({
    tenants: z.array(
      z.object({
        name: z.string(),
        keys: count,
        rpm: count.nullable(),
        tpm: count.nullable(),
        budget: z.object({ usd: count, per: z.string() }).nullable(),
        usage: z.object({ requests: count, inputTokens: count, outputTokens: count, costUsd: count }),
        remainingUsd: count.nullable(),
      }),
    ),
  });
};

function table(tenants: readonly TenantReport[]): string {
  if (tenants.length === 0) return "no tenants configured\n";
  return textTable<TenantReport>(
    [
      ["TENANT", (t) => t.name],
      ["KEYS", (t) => String(t.keys)],
      ["RPM", (t) => (t.rpm === null ? "-" : String(t.rpm))],
      ["TPM", (t) => (t.tpm === null ? "-" : String(t.tpm))],
      ["BUDGET", (t) => (t.budget ? `${dollars(t.budget.usd)}/${t.budget.per}` : "-")],
      ["REQUESTS", (t) => String(t.usage.requests)],
      ["TOKENS", (t) => String(t.usage.inputTokens + t.usage.outputTokens)],
      ["SPENT", (t) => dollars(t.usage.costUsd)],
      ["REMAINING", (t) => (t.remainingUsd === null ? "-" : dollars(t.remainingUsd))],
    ],
    tenants,
  );
}

/**
 * The store of a config: its tenants, key counts, requests and tokens from the audit log and
 * spend from the spend ledger, all read through one read-only handle on a SQLite file.
 */
async function localReports(configPath: string | undefined, migrate: boolean): Promise<TenantReport[]> {
  const { config } = await resolveStoreConfig(configPath);
  const storage = await openConfigStoreReadOnly(config, migrate);
  try {
    return await tenantReports(
      config.tenants,
      {
        usage: storeUsage(storage.audit),
        countKeys: (tenants) => activeKeyCounts(storage.keys, tenants, Date.now()),
        spent: (subjects) => spendTotals(storage.spend, subjects),
      },
      null,
      Date.now(),
    );
  } finally {
    await storage.close();
  }
}

export function registerTenants(program: Command): void {
  const command = program
    .command("tenants")
    .description(
      "each tenant's limits, keys, and usage and spend in its current budget period: requests and tokens count the audit rows still kept (audit.retention), spend and remaining come from the spend ledger that budgets are enforced against",
    );
  withTargetOptions(
    command,
    "read the store of this config",
    "admin key, or a tenant member's key, for --gateway (default: $MINDGW_ADMIN_KEY)",
  )
    .option("--json", "print JSON")
    .action(async (options: TenantsOptions) => {
      const target = chooseTarget(options);
      const tenants =
        target.kind === "gateway"
          ? (
              await adminFetch<{ tenants: TenantReport[] }>(target.url, target.adminKey, {
                path: "/admin/api/tenants",
                holds: "tenants",
                shape: answeredTenants(),
              })
            ).tenants
          : await localReports(target.configFile, options.migrate === true);
      process.stdout.write(options.json ? `${JSON.stringify({ tenants }, null, 2)}\n` : table(tenants));
    });
}
