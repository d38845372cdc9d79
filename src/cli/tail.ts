import type { Command } from "commander";
import { unsendableKey } from "../core/header-value.ts";
import { UsageError } from "./exit-code.ts";
import { givenFlag } from "./given-flag.ts";

interface TailFlags {
  gateway?: string;
  adminKey?: string;
  model?: string;
  key?: string;
  app?: string;
  status?: string;
  tenant?: string;
  admin?: boolean;
  json?: boolean;
}

/**
 * `--gateway`, else `MINDGW_GATEWAY`, else the local default, with where it came from as the tail's
 * refusals name it (`MINDGW_GATEWAY: not a port …`; none at the default URL); `--admin-key`, else
 * `MINDGW_ADMIN_KEY`. An empty variable counts as unset and an empty flag is a usage error naming
 * it, as for every other command (given-flag.ts).
 */
export function tailTarget(
  flags: Pick<TailFlags, "gateway" | "adminKey">,
  env: Record<string, string | undefined> = process.env,
): { gateway: string; adminKey: string; gatewayFrom?: "--gateway" | "MINDGW_GATEWAY" } {
  const flagged = givenFlag("--gateway", flags.gateway);
  const gateway =
    flagged !== undefined
      ? ({ gateway: flagged, gatewayFrom: "--gateway" } as const)
      : env.MINDGW_GATEWAY
        ? ({ gateway: env.MINDGW_GATEWAY, gatewayFrom: "MINDGW_GATEWAY" } as const)
        : { gateway: "http://127.0.0.1:8080" };
  const flag = givenFlag("--admin-key", flags.adminKey);
  const adminKey = flag ?? env.MINDGW_ADMIN_KEY ?? "";
  // Refused here, not by fetch at each attempt, which reads as a gateway it cannot reach.
  const unsendable = unsendableKey(adminKey, flag, "--admin-key", "MINDGW_ADMIN_KEY");
  if (unsendable) throw new UsageError(unsendable);
  return { ...gateway, adminKey };
}

/**
 * The filter flags as given. One given empty (`--status "$CLASS"` with the variable unset) is a
 * usage error naming it: read as unset, it would show every event, unasked (given-flag.ts).
 */
export function tailFilterFlags(
  flags: Pick<TailFlags, "model" | "key" | "app" | "status" | "tenant">,
): Pick<TailFlags, "model" | "key" | "app" | "status" | "tenant"> {
  const given = {
    model: givenFlag("--model", flags.model),
    key: givenFlag("--key", flags.key),
    app: givenFlag("--app", flags.app),
    status: givenFlag("--status", flags.status),
    tenant: givenFlag("--tenant", flags.tenant),
  };
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}

export function registerTail(program: Command): void {
  program
    .command("tail")
    .description("watch the gateway's traffic live (NDJSON with --json or when piped)")
    .option("--gateway <url>", "gateway URL (default: $MINDGW_GATEWAY, else http://127.0.0.1:8080)")
    .option("--admin-key <key>", "admin key (default: $MINDGW_ADMIN_KEY)")
    .option("--model <model>", "only requests for this model")
    .option(
      "--key <name>",
      "only this caller: a glob on its name or id (a key's id, a JWT caller's jwt:<tenant>:<name>; one starting jwt: or key_ matches ids alone)",
    )
    .option("--app <name>", "only requests through this app (apps:), a glob")
    .option("--status <class>", "only this status class (1xx … 5xx) or exact status")
    .option(
      "--tenant <name>",
      "only this tenant: its requests and the workers its callers may be routed to (the gateway's ?tenant=)",
    )
    .option(
      "--admin",
      "show the admin API's own calls too (the web UI's polling, scripts): left out by default, from the table, the figures and --json (key a toggles them)",
    )
    .option("--json", "print one JSON line per event")
    .action(async (flags: TailFlags) => {
      // Loaded here, not at start: the terminal UI (ink, React) is the largest part of the
      // program, and `serve` must not pay for it in memory (docs/BENCHMARKS-HISTORY.md, idle RSS).
      const target = tailTarget(flags);
      const filter = tailFilterFlags(flags);
      const { runTail } = await import("../tui/run-tail.ts");
      process.exitCode = await runTail({
        ...target,
        ...filter,
        admin: flags.admin === true,
        json: flags.json === true,
      });
    });
}
