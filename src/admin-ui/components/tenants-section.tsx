/** @jsxImportSource preact */
import type { TenantReport } from "../../tenants/tenant-usage.ts";
import { getJson } from "../api.ts";
import { count, rateLimits, usd } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { scrollRegion } from "../scroll-region.ts";
import type { KeyWithSpend } from "../use-key-list.ts";
import { BdiList } from "./bdi-list.tsx";
import { Failure } from "./failure.tsx";

interface TenantSummary {
  /** Active keys: a rotated key in its grace window is one (it still works). */
  keys: number;
  spent: number;
  budget: number;
}

/**
 * Per tenant named by the keys shown: its active keys, and its spend and budgets with each
 * rotation chain counted once. A rotation's keys share one spend (counted under the chain's first
 * key, which each of them reports) and one budget, so a chain counts its spend once (the most any
 * of its keys reports: a gateway of an earlier release reported each key's own) and its newest
 * key's budget.
 */
function tenantSummaries(list: readonly KeyWithSpend[]): Map<string, TenantSummary> {
  const tenants = new Map<string, TenantSummary>();
  // The spend each chain has counted so far; the list is newest first.
  const chains = new Map<string, number>();
  for (const k of list) {
    const t = tenants.get(k.tenant) ?? { keys: 0, spent: 0, budget: 0 };
    if (k.status === "active") t.keys++;
    const spent = k.spent ?? 0;
    const counted = chains.get(k.chain);
    if (counted === undefined) {
      t.spent += spent;
      t.budget += k.budget_usd ?? 0;
      chains.set(k.chain, spent);
    } else if (spent > counted) {
      t.spent += spent - counted;
      chains.set(k.chain, spent);
    }
    tenants.set(k.tenant, t);
  }
  return tenants;
}

/**
 * The keys page's tenants: those configured, with this budget period's use, then every tenant the
 * keys shown name (`keys`), each rotation chain counted once. Refreshed every 30 s, and read again
 * as `changes` counts a key created, rotated, revoked or limited on the page, so a tenant's active
 * keys follow the list rather than lag it by up to 30 s. `listed`: the keys are read (not loading,
 * not failed), so that none named is said, not the list still on its way.
 */
export function TenantsSection({
  keys,
  listed,
  changes,
}: {
  keys: readonly KeyWithSpend[];
  listed: boolean;
  changes: number;
}) {
  const configured = useLoad(
    () => getJson<{ tenants: TenantReport[] }>("/admin/api/tenants"),
    [changes],
    30_000,
  );
  const tenants = tenantSummaries(keys);
  return (
    <>
      <h2>Tenants</h2>
      <Failure error={configured.error} />
      {configured.data && configured.data.tenants.length > 0 && (
        <div {...scrollRegion("Configured tenants")} class="scroll card flush">
          <table class="tenants">
            <thead>
              <tr>
                <th>Tenant</th>
                <th class="wide">Models</th>
                <th class="wide">Limits</th>
                <th class="num">Keys</th>
                <th class="num">Requests</th>
                <th class="num wide">Tokens</th>
                <th>Spend / budget</th>
              </tr>
            </thead>
            <tbody>
              {configured.data.tenants.map((t) => (
                <tr key={t.name} data-tenant={t.name}>
                  <td>{t.name}</td>
                  <td class="wide">
                    <BdiList items={t.models} />
                  </td>
                  <td class="wide small">{rateLimits(t.rpm, t.tpm)}</td>
                  <td class="num" data-tenant-keys>
                    {t.keys}
                  </td>
                  <td class="num">{count(t.usage.requests)}</td>
                  <td class="num wide">{count(t.usage.inputTokens + t.usage.outputTokens)}</td>
                  <td>
                    {usd(t.usage.costUsd)} /{" "}
                    {t.budget ? `${usd(t.budget.usd)} per ${t.budget.per}` : "no budget"}
                    {t.budget ? (
                      <meter
                        min={0}
                        max={t.budget.usd}
                        value={t.usage.costUsd}
                        high={t.budget.usd * 0.8}
                        aria-label="share of budget spent"
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small">
        {configured.data?.tenants.length ? "Configured tenants (this budget period), then " : ""}every tenant
        named by the keys shown above (a rotation's keys, which share one spend and budget, counted once):
      </p>
      <div {...scrollRegion("Tenants of the keys")} class="scroll card flush">
        <table>
          <thead>
            <tr>
              <th>Tenant</th>
              <th class="num">Active keys</th>
              <th class="num">Spend (keys)</th>
              <th class="num">Sum of key budgets</th>
            </tr>
          </thead>
          <tbody>
            {[...tenants].map(([name, t]) => (
              <tr key={name} data-summary-tenant={name} data-spent={t.spent} data-budget={t.budget}>
                <td>{name}</td>
                <td class="num">{t.keys}</td>
                <td class="num">{usd(t.spent)}</td>
                <td class="num">{t.budget ? usd(t.budget) : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {tenants.size === 0 && listed && (
          <p class="muted pad">
            {configured.data?.tenants.length === 0 ? "No tenants." : "No tenant is named by the keys shown."}
          </p>
        )}
      </div>
    </>
  );
}
