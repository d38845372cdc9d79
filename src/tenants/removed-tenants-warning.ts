import type { Config } from "../config/config-schema.ts";
import { describeError } from "../core/describe-error.ts";
import type { Logger } from "../log/logger.ts";
import { activeKeyCounts } from "../storage/key-counts.ts";
import type { KeyStore } from "../storage/storage.ts";

const tenantNames = (config: Config): ReadonlySet<string> =>
  new Set(config.tenants.map((tenant) => tenant.name));

const keysOf = (count: number) => (count === 1 ? "1 active key" : `${count} active keys`);

/**
 * Told of each config once it is in force (`ReloadDeps.applied`): for each tenant the config it
 * replaced listed and this one does not, and that still has active keys, a warning naming the
 * tenant and how many. While any tenant is listed, those keys are refused from this version on
 * (401, as a JWT naming the tenant is: tenants/bind-tenant.ts); once none is, a key's tenant is a
 * free label and they are bound by their own models and limits alone. Counted after the swap, off
 * the reload's path: a store that cannot count is said, and the reload stands.
 */
export function removedTenantsWarning(
  initial: Config,
  keys: KeyStore,
  logger: Logger,
  now: () => number = Date.now,
): (config: Config) => Promise<void> {
  let previous = tenantNames(initial);
  return async (config) => {
    const current = tenantNames(config);
    const removed = [...previous].filter((name) => !current.has(name));
    previous = current;
    if (removed.length === 0) return;
    const what =
      current.size > 0
        ? "refused from now on (401), as a JWT naming the tenant is; put the tenant back or revoke the keys"
        : "bound by nothing but each key's own models and limits from now on (no tenant is listed: a key's tenant is a free label)";
    try {
      const counts = await activeKeyCounts(keys, removed, now());
      for (const name of removed) {
        const count = counts.get(name) ?? 0;
        if (count > 0)
          logger.warn(
            `config reloaded without tenant "${name}": its ${keysOf(count)} ${count === 1 ? "is" : "are"} ${what}`,
          );
      }
    } catch (error) {
      logger.warn(
        `config reloaded without tenants ${removed.map((name) => `"${name}"`).join(", ")}; their active keys could not be counted`,
        { error: describeError(error) },
      );
    }
  };
}
