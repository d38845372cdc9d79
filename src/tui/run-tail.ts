import { statusFilterRefusal } from "../audit/status-filter.ts";
import { textWithout } from "../core/credentials.ts";
import { messageOf } from "../core/describe-error.ts";
import { readGatewayTarget } from "../core/gateway-target-reading.ts";
import { MOST_TENANT_FILTER } from "../core/tenant-filter.ts";
import { forTenant, gatewayTargetAt } from "./gateway-target.ts";
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
 * secret, and taken out it would blank the message's own words; core/credentials.ts). A refusal of
 * the flags is worded as every command's (`mindgw: --status: …`); what the tail meets once it runs
 * is its own (`mindgw tail: cannot reach …`).
 */
export async function runTail(options: TailOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const say = (message: string, by: string, code: number) => {
    stderr.write(`${by}: ${textWithout(message, options.adminKey)}\n`);
    return code;
  };
  const refuse = (message: string) => say(message, "mindgw", 2);
  // Refused as every command refuses its gateway; at the default URL it is the tail that needs a key.
  const reading = readGatewayTarget(
    options.gateway,
    options.adminKey,
    options.gatewayFrom ?? "--gateway",
    options.gatewayFrom ?? "tail",
  );
  if (!reading.ok) return refuse(reading.refusal);
  if (options.status !== undefined && !validStatusFilter(options.status)) {
    return refuse(`--status: ${statusFilterRefusal(options.status)}`);
  }
  // Checked here as the gateway would: its 400 would be retried as a gateway's passing fault.
  if (options.tenant !== undefined && options.tenant.length > MOST_TENANT_FILTER) {
    return refuse(`--tenant: at most ${MOST_TENANT_FILTER} characters`);
  }
  const filter: TailFilter = {
    ...(options.model ? { model: options.model } : {}),
    ...(options.key ? { key: options.key } : {}),
    ...(options.app ? { app: options.app } : {}),
    ...(options.status ? { status: options.status.toLowerCase() } : {}),
  };
  const common = {
    target: forTenant(gatewayTargetAt(reading.url), options.tenant),
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
    return say(`unexpected error: ${messageOf(error)}`, "mindgw tail", 1);
  } finally {
    noteRead.abort();
  }
}
