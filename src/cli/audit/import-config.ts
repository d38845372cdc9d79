import { ConfigError } from "../../config/config-error.ts";
import type { Config } from "../../config/config-schema.ts";
import { resolveConfig, resolveStoreConfig } from "../resolve-config.ts";

/** Said below a refused config's problems when the store alone would have read it. */
export const SPEND_READS_ALL =
  "adding spend reads the whole config (load the service's environment file), or use --no-spend";

/**
 * The config `audit import` runs on. Adding spend, the whole file, as `serve` reads it (the tenant
 * rules `models:` shapes place the spend); without, the store's part alone. A whole file refused
 * where the store's part reads (an upstream's `${VAR}` unset outside the service's environment)
 * says so, and the way on: the refusal alone names neither the environment nor `--no-spend`.
 */
export async function importConfig(path: string | undefined, spend: boolean): Promise<Config> {
  if (!spend) return (await resolveStoreConfig(path)).config;
  try {
    return (await resolveConfig(path)).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The store's part refused too: --no-spend would not help, the refusal is as it was.
    const storeReads = await resolveStoreConfig(path).then(
      () => true,
      () => false,
    );
    if (!storeReads) throw error;
    throw new ConfigError([...error.problems, SPEND_READS_ALL], error.warnings, error.file);
  }
}
