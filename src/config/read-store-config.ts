import { type Config, configSchema } from "./config-schema.ts";
import { EnvReferenceError, interpolateEnv } from "./interpolate-env.ts";
import { configDocument, configFromDocument, type Env, readConfigText } from "./load-config.ts";

/** A config file as a command that works on the store alone reads it (`readStoreConfig`). */
export interface StoreConfig {
  /** The file's storage, tenants and cluster, validated as `serve` validates them; every other section its defaults. */
  config: Config;
  /** Why the file's `cluster:` was left out: the variables it names that are unset. */
  clusterUnread?: string;
}

/**
 * A config file as the commands that work on the store alone read it (`keys`, `audit`, `tenants`,
 * `shadow report` with -c): its `storage:`, its `tenants:` (names, limits and budgets) and its
 * `cluster:` (the nodes `keys` tells of a change). They run on the host, in an operator's shell,
 * where the gateway's secrets are not (they sit in the service's environment file): the rest of the
 * file is not theirs to read, so an upstream's `${UP_KEY}` there need not be set. Storage's and
 * tenants' variables must be, and are refused by name as at `serve`. A tenant's `shadow:` names a
 * provider, which is not read, so it is left out too. A `cluster:` naming an unset variable is
 * left out, saying why (`clusterUnread`): `keys` then tells no node, and each sees the change at
 * its next key refresh. A key that is no section (a misspelt `storag:`, `clustr:`) is refused as
 * `serve` refuses it, at its place (`gw.yaml:1:1: storag: unknown field`): read as nothing, it
 * put the store in data/mindgw.db beside the file, or told no node of a change.
 */
export async function readStoreConfig(path: string, env: Env = process.env): Promise<StoreConfig> {
  const text = await readConfigText(path);
  const document = configDocument(path, text);
  const { storage, tenants, cluster } = document;
  const clusterUnread = cluster === undefined ? undefined : unsetIn(cluster, env);
  const sections = {
    ...(storage !== undefined && { storage }),
    ...(tenants !== undefined && { tenants: Array.isArray(tenants) ? tenants.map(withoutShadow) : tenants }),
    ...(cluster !== undefined && clusterUnread === undefined && { cluster }),
    ...notSections(document),
  };
  const config = configFromDocument(path, sections, env, { checkFiles: true, text });
  return clusterUnread === undefined ? { config } : { config, clusterUnread };
}

/**
 * The document's keys that are no section, each as null: the schema refuses them by name (its `x-`
 * keys, anchors only, are left out before it reads them), without reading what they hold, whose
 * variables need not be set.
 */
function notSections(document: Record<string, unknown>): Record<string, null> {
  const keys = Object.keys(document).filter((key) => !Object.hasOwn(configSchema.shape, key));
  return Object.fromEntries(keys.map((key) => [key, null]));
}

/** What a section's references leave unresolved in `env`, said as a refusal says it; undefined when none. */
function unsetIn(section: unknown, env: Env): string | undefined {
  try {
    interpolateEnv(section, env, "cluster");
    return undefined;
  } catch (error) {
    if (error instanceof EnvReferenceError) return error.problems.join("; ");
    throw error;
  }
}

function withoutShadow(tenant: unknown): unknown {
  if (tenant === null || typeof tenant !== "object" || Array.isArray(tenant)) return tenant;
  const { shadow: _shadow, ...rest } = tenant as Record<string, unknown>;
  return rest;
}
