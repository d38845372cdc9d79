import type { Config } from "../config/config-schema.ts";
import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { describeError } from "../core/describe-error.ts";
import { timerDelay } from "../core/timer-delay.ts";
import type { Logger } from "../log/logger.ts";
import { activeKeyCounts, activeKeyCountsOutside } from "../storage/key-counts.ts";
import type { KeyStore } from "../storage/storage.ts";
import type { CredentialIssuer } from "./bind-tenant.ts";

const tenantNames = (config: Config): ReadonlySet<string> =>
  new Set(config.tenants.map((tenant) => tenant.name));

const keysOf = (count: number) => (count === 1 ? "1 active key" : `${count} active keys`);

const REFUSED = "refused (401), as a JWT naming the tenant is; list the tenant or revoke the keys";
const REFUSED_NOW =
  "refused from now on (401), as a JWT naming the tenant is; put the tenant back or revoke the keys";
const FREE =
  "bound by nothing but each key's own models and limits from now on (no tenant is listed: a key's tenant is a free label)";

/** Tenants whose keys a config refuses (or frees) where the one before it did not, and how to say so. */
interface Change {
  /** Each such tenant's active keys. */
  count(): Promise<Map<string, number>>;
  /** What happened to a tenant, before its keys are counted: `tenant "ops" is not among …`. */
  lead(name: string): string;
  /** What its keys are from now on. */
  what: string;
  /** Said, with the cause, when the store could not count. */
  uncounted: string;
}

/** The counts and warnings of keys whose tenant the config does not list; see `unlistedTenantsWarning`. */
export interface UnlistedTenantsWarning {
  /** Once the gateway is up: every tenant with active keys the config does not list. */
  started(): Promise<void>;
  /** With each config once it is in force (`ReloadDeps.applied`). */
  applied(config: Config): Promise<void>;
  /** Before storage closes: the counts still running, waited for until `until` (`performance.now()` time). */
  stop(until: number): Promise<void>;
}

/**
 * The warning that keys are refused because `tenants:` does not list theirs (tenants/
 * bind-tenant.ts: 401, as a JWT naming such a tenant is), one line per tenant naming it and how
 * many active keys it holds, never a key itself. `started` once the gateway is up: every tenant
 * with active keys the config does not list (one renamed while the gateway was stopped). `applied`
 * with each config once it is in force (`ReloadDeps.applied`): each tenant whose keys it refuses
 * and the config before it served — one it removed, or, when none was listed before, any key's
 * free label the new ones do not include — and a removed tenant's keys freed once none is listed.
 * Counted off the start's and the reload's path: a store that cannot count is said, and both stand.
 * With an embedder's authenticator (`issuer` "embedder") nothing is said: its principals of a
 * tenant not listed are served, bound as a caller outside every tenant is (bind-tenant.ts), never
 * refused, and its authenticator, not the gateway's keys, decides who calls. `stop`, before
 * storage closes: the counts still running are waited for until the stop's deadline, and one that
 * fails once the stop has begun (storage closed under it) is not said as the store's failure.
 */
export function unlistedTenantsWarning(
  initial: Config,
  keys: KeyStore,
  logger: Logger,
  issuer: CredentialIssuer,
  now: () => number = Date.now,
): UnlistedTenantsWarning {
  if (issuer === "embedder")
    return { started: async () => {}, applied: async () => {}, stop: async () => {} };
  let previous = tenantNames(initial);
  let stopping = false;
  const running = new Set<Promise<void>>();
  const outside = (listed: ReadonlySet<string>) => () =>
    activeKeyCountsOutside(keys, [...listed, DEFAULT_TENANT], now());
  const warn = async (change: Change) => {
    const counting = said(change);
    running.add(counting);
    try {
      await counting;
    } finally {
      running.delete(counting);
    }
  };
  const said = async (change: Change) => {
    try {
      const counts = [...(await change.count())].sort(([a], [b]) => a.localeCompare(b));
      for (const [name, count] of counts)
        if (count > 0)
          logger.warn(
            `${change.lead(name)}: its ${keysOf(count)} ${count === 1 ? "is" : "are"} ${change.what}`,
          );
    } catch (error) {
      if (stopping) return;
      logger.warn(`${change.uncounted}; their active keys could not be counted`, {
        error: describeError(error),
      });
    }
  };
  return {
    async started() {
      if (previous.size === 0) return;
      await warn({
        count: outside(previous),
        lead: (name) => `tenant "${name}" is not among the configured tenants`,
        what: REFUSED,
        uncounted: "keys of tenants the config does not list are refused (401)",
      });
    },
    async applied(config) {
      const current = tenantNames(config);
      const before = previous;
      previous = current;
      if (before.size === 0) {
        if (current.size === 0) return;
        await warn({
          count: outside(current),
          lead: (name) => `config reloaded with tenants that do not include "${name}"`,
          what: REFUSED_NOW,
          uncounted:
            "config reloaded with tenants listed: keys of any other tenant are refused from now on (401)",
        });
        return;
      }
      const removed = [...before].filter((name) => !current.has(name));
      if (removed.length === 0) return;
      await warn({
        count: () => activeKeyCounts(keys, removed, now()),
        lead: (name) => `config reloaded without tenant "${name}"`,
        what: current.size > 0 ? REFUSED_NOW : FREE,
        uncounted: `config reloaded without tenants ${removed.map((name) => `"${name}"`).join(", ")}`,
      });
    },
    async stop(until) {
      stopping = true;
      if (running.size === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timerDelay(Math.max(0, until - performance.now())));
      });
      try {
        await Promise.race([Promise.all(running), late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
