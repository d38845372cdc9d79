import { isModelTraffic } from "../audit/request-stats.ts";
import { printableJson } from "../core/printable.ts";
import { runEventClient } from "./event-client.ts";
import type { GatewayTarget } from "./gateway-target.ts";
import { onFirstStopSignal } from "./stop-signals.ts";
import type { TailEvent } from "./tail-event.ts";
import { isEmptyFilter, matchesFilter, type TailFilter } from "./tail-filter.ts";
import type { TailOptions, TailOutput } from "./tail-options.ts";

/** The parts of the options the NDJSON mode uses, already checked. */
export interface JsonRunOptions extends Pick<TailOptions, "adminKey" | "fetch" | "signal" | "backoff"> {
  target: GatewayTarget;
  filter: TailFilter;
  /** Print the admin API's own calls too (`--admin`). */
  showAdmin: boolean;
  stdout: TailOutput;
  stderr: TailOutput;
  maxInitialAttempts: number;
  /** A note for stderr (an unknown `--tenant`), read beside the stream: written when it comes. */
  note?: Promise<string | undefined>;
}

/**
 * Filters select request events; the workers' and config events pass only when no filter is set,
 * so `--status 5xx` gives a stream of failed requests and nothing else. `events.missed` passes
 * always: a gap in the stream may have held what the filter is for (the view's footer counts it so);
 * so does `node.left`, which ends the selected requests that node took still in flight, and
 * `node.unanswered`, a node whose requests may not show.
 * The admin API's own calls pass only with `showAdmin`, as in the interactive view.
 */
export function selectEvent(filter: TailFilter, event: TailEvent, showAdmin = false): boolean {
  if (event.type === "events.missed" || event.type === "node.left" || event.type === "node.unanswered")
    return true;
  if (event.type === "request.started") {
    if (!showAdmin && !isModelTraffic(event)) return false;
    return matchesFilter(filter, { ...event, route: null, status: null });
  }
  if (event.type === "request.finished") {
    return (showAdmin || isModelTraffic(event.record)) && matchesFilter(filter, event.record);
  }
  return isEmptyFilter(filter);
}

/**
 * One NDJSON line per selected event, as the gateway sent it (no raw control character: see
 * `printableJson`), written as it comes.
 * Reconnects after a drop like the interactive view (status lines go to stderr); before the
 * first connection it gives up after `maxInitialAttempts` with exit code 1.
 * A stop signal ends it with 0 once the line it was writing is out whole: killed by the signal, the
 * tail left its reader half a line (one longer than a pipe's atomic 4 KiB write). A second stop
 * signal, of any kind, ends it at once.
 */
export async function runJson(options: JsonRunOptions): Promise<number> {
  const { stdout, stderr, target } = options;
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  // The first stop signal, of any of the three, takes them all back: a second ends it at once.
  const releaseSignals = onFirstStopSignal(stop);
  // A closed pipe (`| head`) ends the tail quietly.
  let pipeClosed = false;
  const onPipeError = () => {
    pipeClosed = true;
    stop();
  };
  stdout.on("error", onPipeError);
  // Part of a line is still to be written: the reader is behind.
  let behind = false;
  const onDrain = () => {
    behind = false;
  };
  stdout.on("drain", onDrain);
  let everLive = false;
  let down = false;
  let ended = false;
  void options.note?.then((text) => {
    if (text !== undefined && !ended) stderr.write(`mindgw tail: ${text}\n`);
  });
  try {
    const outcome = await runEventClient({
      target,
      adminKey: options.adminKey,
      signal: controller.signal,
      maxInitialAttempts: options.maxInitialAttempts,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onEvent: ({ event, raw }) => {
        // As the gateway sent it, but C1 controls escaped too: a terminal would act on them.
        if (!selectEvent(options.filter, event, options.showAdmin)) return;
        if (stdout.write(`${printableJson(raw)}\n`)) return;
        behind = true;
        // The reader is behind (`| slow`): read no more until it drains, so the burst waits in the
        // gateway's bounded buffer, counted if dropped (events.missed), not in this process.
        return drained(stdout, controller.signal);
      },
      onStatus: (status) => {
        // Silent until the first connection; after that, each drop and recovery is one line: the
        // attempts of an outage in between (one each backoff, up to every 10 s) add none.
        if (status.state === "reconnecting" && everLive && !down) {
          down = true;
          const seconds = Math.max(1, Math.round((status.retryAt - Date.now()) / 1000));
          stderr.write(`mindgw tail: ${status.reason}; reconnecting in ${seconds}s\n`);
        } else if (status.state === "live") {
          if (down) stderr.write(`mindgw tail: reconnected to ${target.label}\n`);
          everLive = true;
          down = false;
        }
      },
    });
    if (outcome.kind === "fatal" && !pipeClosed) {
      stderr.write(`mindgw tail: ${outcome.message}\n`);
      return outcome.exitCode;
    }
    if (behind && !pipeClosed) await written(stdout);
    return 0;
  } finally {
    ended = true;
    options.signal?.removeEventListener("abort", stop);
    releaseSignals();
    stdout.off("error", onPipeError);
    stdout.off("drain", onDrain);
  }
}

/** Settles once what `stdout` holds is written (it drains), or can never be (it fails or closes). */
function written(stdout: TailOutput): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdout.off("drain", done);
      stdout.off("error", done);
      stdout.off("close", done);
      resolve();
    };
    stdout.once("drain", done);
    stdout.once("error", done);
    stdout.once("close", done);
  });
}

/** Settles once `stdout` drains, or the tail stops (a closed pipe never drains). */
function drained(stdout: TailOutput, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdout.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    stdout.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
