import type { Command } from "commander";
import { readGatewayTarget } from "../core/gateway-target-reading.ts";
import { unsendableKey } from "../core/header-value.ts";
import { UsageError } from "./exit-code.ts";
import { givenFlag } from "./given-flag.ts";
import { configFileFrom } from "./resolve-config.ts";

type Env = Record<string, string | undefined>;

/** The flags of every command that works on a store or through a gateway (keys, audit, shadow, tenants). */
export interface TargetFlags {
  config?: string;
  gateway?: string;
  adminKey?: string;
  /** With `-c`: apply this release's pending schema migrations (refused otherwise: config-store.ts). */
  migrate?: boolean;
}

/** A running gateway with the key to call it, or the store of a config (undefined: the embedded defaults). */
export type CommandTarget =
  | { readonly kind: "gateway"; readonly url: string; readonly adminKey: string }
  | { readonly kind: "local"; readonly configFile: string | undefined };

/**
 * Where a command works, decided here for every command: a flag beats the environment. `-c FILE`
 * and `--gateway URL` together are refused (one of them would be silently ignored); `--gateway`
 * beats `MINDGW_CONFIG` and `-c` beats `MINDGW_GATEWAY`. With neither flag, `MINDGW_GATEWAY`
 * comes before `MINDGW_CONFIG`, then the embedded defaults (./data). Empty variables count as
 * unset; an empty flag is refused (givenFlag).
 */
export function chooseTarget(flags: TargetFlags, env: Env = process.env): CommandTarget {
  const configFlag = givenFlag("-c/--config", flags.config);
  const gatewayFlag = givenFlag("--gateway", flags.gateway);
  const adminKeyFlag = givenFlag("--admin-key", flags.adminKey);
  if (configFlag && gatewayFlag)
    throw new UsageError("-c/--config and --gateway name two targets: give one of them");
  const gateway = configFlag ? undefined : gatewayFlag || env.MINDGW_GATEWAY || undefined;
  if (gateway === undefined) return { kind: "local", configFile: configFileFrom(configFlag, env) };
  const from = gatewayFlag ? "--gateway" : "MINDGW_GATEWAY";
  const adminKey = adminKeyFlag || env.MINDGW_ADMIN_KEY || "";
  const reading = readGatewayTarget(gateway, adminKey, from);
  if (!reading.ok) throw new UsageError(reading.refusal);
  const unsendable = unsendableKey(adminKey, adminKeyFlag, "--admin-key", "MINDGW_ADMIN_KEY");
  if (unsendable) throw new UsageError(unsendable);
  // A bare `host:port` is http (core/gateway-url.ts); without a trailing slash.
  return { kind: "gateway", url: reading.url.href.replace(/\/+$/, ""), adminKey };
}

/** `--migrate`, as every command that opens a config's store words it. */
export const MIGRATE_HELP =
  "with -c: migrate a database at an older schema to this release's first (refused without it)";

const TARGET_HELP = `
Target: -c FILE works on that config's store directly; --gateway URL through a running gateway
(with --admin-key). Give one, not both. A flag beats the environment: -c wins over
$MINDGW_GATEWAY, --gateway over $MINDGW_CONFIG. With neither flag: $MINDGW_GATEWAY, else
$MINDGW_CONFIG, else the embedded defaults (./data).`;

/**
 * Adds `-c`, `--gateway` and `--admin-key` with one wording of the precedence (chooseTarget).
 * `local` says what `-c FILE` does ("read the database of this config"); `adminKey` replaces the
 * admin key's description.
 */
export function withTargetOptions(command: Command, local: string, adminKey?: string): Command {
  return command
    .option("-c, --config <file>", `${local} (default: $MINDGW_CONFIG, else ./data)`)
    .option("--gateway <url>", "work through a running gateway (default: $MINDGW_GATEWAY)")
    .option("--admin-key <key>", adminKey ?? "admin key for --gateway (default: $MINDGW_ADMIN_KEY)")
    .option("--migrate", MIGRATE_HELP)
    .addHelpText("after", TARGET_HELP);
}
