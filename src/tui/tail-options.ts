import type { BackoffOptions } from "./backoff.ts";

/** A stream `mindgw tail` writes to; ink also reads `isTTY`, `columns`, `rows` and `resize`. */
export type TailOutput = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

/**
 * Everything `mindgw tail` needs; the CLI maps its flags (and the MINDGW_GATEWAY /
 * MINDGW_ADMIN_KEY fallbacks) onto this. The streams, fetch and signal are injectable so
 * tests drive it without a terminal.
 */
export interface TailOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:8080` (a bare `host:port` means http). */
  gateway: string;
  /**
   * Where `gateway` came from, as a refusal names it (`MINDGW_GATEWAY: not a port …`, as every
   * command's); unset, `--gateway` for a URL refused and `tail` for a missing key (the default URL).
   */
  gatewayFrom?: "--gateway" | "MINDGW_GATEWAY";
  /** An admin-role key; sent only as `Authorization: Bearer`, never printed. */
  adminKey: string;
  /** Glob on the model asked for. */
  model?: string;
  /** Glob on the caller's name or id (a JWT caller's id: `jwt:<tenant>:<name>`). */
  key?: string;
  /** Glob on the app (`apps:`) the request came through. */
  app?: string;
  /** `1xx`..`5xx` or an exact code such as `429`. */
  status?: "2xx" | "4xx" | "5xx" | string;
  /**
   * One tenant's part (its requests, the workers its callers may be routed to), as the gateway
   * selects it (`?tenant=` on the event stream and the workers list), not a glob.
   */
  tenant?: string;
  /**
   * Show the admin API's own calls too (front door `admin`: the web UI's polling, scripts): left
   * out by default, from the table, the header's figures and `--json`'s lines alike.
   */
  admin?: boolean;
  /** NDJSON to stdout even on a terminal. */
  json: boolean;
  stdout?: TailOutput;
  stdin?: NodeJS.ReadStream;
  stderr?: TailOutput;
  fetch?: typeof fetch;
  /** Aborting ends the tail with exit code 0 (tests; the CLI relies on q / Ctrl-C / signals). */
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  /** `--json` gives up after this many failed first attempts (default 5). */
  maxInitialAttempts?: number;
  /** Redraw interval of the interactive view (default 100 ms). */
  flushMs?: number;
  /** How often the workers pane is refetched (default 5 s). */
  workersRefreshMs?: number;
}
