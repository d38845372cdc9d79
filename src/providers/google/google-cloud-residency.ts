import { readFileSync } from "node:fs";
import type { Env } from "./credentials-source.ts";

/**
 * Whether the gateway looks to run on Google Cloud, where the metadata server serves a token, as
 * gcp-metadata's `detectGCPResidency` tells without asking it: Cloud Run and Cloud Functions by
 * their variables (`K_SERVICE`, `CLOUD_RUN_JOB`, `FUNCTION_NAME`), a GCE VM or GKE node by its
 * BIOS vendor on Linux; and wherever a metadata server's address is given (`GCE_METADATA_HOST`,
 * `GCE_METADATA_IP`). `MINDGW_ON_GOOGLE_CLOUD` (`true` or `false`) says it instead of all this: a
 * host that hides its BIOS, or a test that must not depend on the runner's. Only for the start's
 * warning: a call asks the metadata server whatever this says.
 */
export function onGoogleCloud(env: Env, biosVendor: () => string | undefined = linuxBiosVendor): boolean {
  const said = env.MINDGW_ON_GOOGLE_CLOUD?.toLowerCase();
  if (said === "true" || said === "false") return said === "true";
  if (env.K_SERVICE || env.CLOUD_RUN_JOB || env.FUNCTION_NAME) return true;
  if (env.GCE_METADATA_HOST || env.GCE_METADATA_IP) return true;
  return /Google/.test(biosVendor() ?? "");
}

function linuxBiosVendor(): string | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return readFileSync("/sys/class/dmi/id/bios_vendor", "utf8");
  } catch {
    return undefined;
  }
}
