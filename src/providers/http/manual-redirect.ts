import type { FetchFunction } from "./http1/lean-fetch.ts";

/**
 * `client` with every call's redirect handed back as it came (`redirect: "manual"`), whatever its
 * init says: an upstream call never follows one (upstream-redirect.ts). An init that says so
 * already (an `UpstreamPost`) goes as it is; any other is copied with it.
 */
export const manualRedirect =
  (client: FetchFunction): FetchFunction =>
  (input, init) =>
    client(input, init?.redirect === "manual" ? init : { ...init, redirect: "manual" });
