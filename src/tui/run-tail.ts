import { textWithout } from "../core/credentials.ts";
import { messageOf } from "../core/describe-error.ts";
import { keyInGatewayUrlRefusal } from "../core/gateway-url-key.ts";
import { MOST_TENANT_FILTER } from "../core/tenant-filter.ts";
import { forTenant, resolveGateway } from "./gateway-target.ts";
import { runInteractive } from "./run-interactive.tsx";
import { runJson } from "./run-json.ts";
import { type TailFilter, validStatusFilter } from "./tail-filter.ts";
import type { TailOptions } from "./tail-options.ts";
import { tailTenantNote } from "./tenant-note.ts";

export type { TailOptions } from "./tail-options.ts";

/**
 * `mindgw tail`: the interactive view when stdout is a terminal and `json` is off, NDJSON
 * otherwise. Returns the exit code: 0 on quit, 1 on a runtime failure (gateway unreachable
 * in `--json` mode, no event stream), 2 on a usage or credential error (malformed URL,
 * missing or rejected admin key, bad `--status` or `--tenant`). Errors are one line on stderr, never a
 * stack trace, and never contain the admin key (one of eight characters or more: a shorter one is no
 * secret, and taken out it would blank the message's own words; core/credentials.ts).
 */
export async function runTail(options: TailOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const fail = (message: string, code: number) => {
    stderr.write(`mindgw tail: ${textWithout(message, options.adminKey)}\n`);
    return code;
  };
  // Before the URL is read: a key given as one would be tried as a host name, and echoed.
  const keyInUrl = keyInGatewayUrlRefusal(options.gateway, options.adminKey);
  if (keyInUrl) return fail(`invalid gateway URL: ${keyInUrl}`, 2);
  const resolved = resolveGateway(options.gateway);
  if (!resolved.ok) return fail(resolved.error, 2);
  if (!options.adminKey) return fail("no admin key: pass --admin-key or set MINDGW_ADMIN_KEY", 2);
  if (options.status !== undefined && !validStatusFilter(options.status)) {
    return fail(`invalid --status "${options.status}": use a class like 4xx or a code like 429`, 2);
  }
  // Checked here as the gateway would: its 400 would be retried as a gateway's passing fault.
  if (options.tenant !== undefined && options.tenant.length > MOST_TENANT_FILTER) {
    return fail(`invalid --tenant: at most ${MOST_TENANT_FILTER} characters`, 2);
  }
  const filter: TailFilter = {
    ...(options.model ? { model: options.model } : {}),
    ...(options.key ? { key: options.key } : {}),
    ...(options.app ? { app: options.app } : {}),
    ...(options.status ? { status: options.status.toLowerCase() } : {}),
  };
  const common = {
    target: forTenant(resolved.target, options.tenant),
    adminKey: options.adminKey,
    filter,
    showAdmin: options.admin === true,
    stdout,
    stderr,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  };
  // A mistyped --tenant shows an empty view, as a quiet tenant's does: a note says so. Read beside
  // the view, not before it: a gateway slow to answer (dropping packets) held the view back.
  const noteRead = new AbortController();
  const note = tailTenantNote(
    common.target,
    options.adminKey,
    options.fetch,
    options.signal ? AbortSignal.any([options.signal, noteRead.signal]) : noteRead.signal,
  ).then((text) => (text === undefined ? undefined : textWithout(text, options.adminKey)));
  try {
    if (options.json || stdout.isTTY !== true) {
      return await runJson({ ...common, note, maxInitialAttempts: options.maxInitialAttempts ?? 5 });
    }
    return await runInteractive({
      ...common,
      note,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.flushMs ? { flushMs: options.flushMs } : {}),
      workersRefreshMs: options.workersRefreshMs ?? 5000,
    });
  } catch (error) {
    return fail(`unexpected error: ${messageOf(error)}`, 1);
  } finally {
    noteRead.abort();
  }
}
