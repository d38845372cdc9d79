import { render } from "ink";
import { TailApp } from "./app.tsx";
import { runEventClient } from "./event-client.ts";
import { fetchWorkers } from "./fetch-workers.ts";
import type { GatewayTarget } from "./gateway-target.ts";
import { onFirstStopSignal } from "./stop-signals.ts";
import type { TailFilter } from "./tail-filter.ts";
import type { TailOptions, TailOutput } from "./tail-options.ts";
import { TailStore } from "./tail-store.ts";

/** The parts of the options the interactive view uses, already checked. */
export interface InteractiveRunOptions
  extends Pick<TailOptions, "adminKey" | "fetch" | "signal" | "backoff" | "stdin" | "flushMs"> {
  target: GatewayTarget;
  filter: TailFilter;
  /** Show the admin API's own calls from the start (`--admin`). */
  showAdmin: boolean;
  stdout: TailOutput;
  stderr: TailOutput;
  workersRefreshMs: number;
  /**
   * A note (an unknown `--tenant`), read beside the view: shown in its footer when it comes, and
   * on stderr once the terminal is restored, where it stays.
   */
  note?: Promise<string | undefined>;
}

/**
 * Runs the ink screen until `q`, Ctrl-C, a stop signal (stop-signals.ts: a second ends it at once)
 * or a fatal connection error (a rejected key, a gateway without the endpoint). An unreachable
 * gateway is not fatal here:
 * the status line counts down to the next attempt. Fatal errors are printed after the
 * terminal is restored, as one line.
 */
export async function runInteractive(options: InteractiveRunOptions): Promise<number> {
  const { target, adminKey } = options;
  const store = new TailStore(undefined, undefined, options.workersRefreshMs);
  const controller = new AbortController();
  const ink = render(
    <TailApp
      store={store}
      label={target.label}
      tenant={target.tenant}
      initialFilter={options.filter}
      showAdmin={options.showAdmin}
      flushMs={options.flushMs ?? 100}
      forgetFrame={() => ink.clear()}
    />,
    {
      stdout: options.stdout,
      stderr: options.stderr,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      exitOnCtrlC: true,
      // We already chose this mode from stdout being a terminal; ink would otherwise turn
      // itself non-interactive whenever CI=true is in the environment.
      interactive: true,
      alternateScreen: true,
      incrementalRendering: true,
    },
  );
  let note: string | undefined;
  void options.note?.then((text) => {
    note = text;
    if (text !== undefined) store.setNotice(text);
  });
  const quit = () => ink.unmount();
  options.signal?.addEventListener("abort", quit, { once: true });
  const releaseSignals = onFirstStopSignal(quit);

  // One read at a time: a slow gateway gets no pile of them, and a refusal is met once.
  let reading = false;
  // A workers URL that redirects ends the tail as the event stream's would (exit 2).
  let redirected: string | null = null;
  const refreshWorkers = async () => {
    if (!store.workersVisible || reading) return;
    reading = true;
    const id = store.ownCalls.mint();
    const sentAt = store.workersMark();
    const read = await fetchWorkers(target, adminKey, controller.signal, id, options.fetch).finally(() => {
      reading = false;
    });
    if (read.kind === "listed") store.setWorkers(read.workers, sentAt, read.heartbeats);
    else if (read.kind === "refused") {
      // A credential that may tail but not read the workers (a tenant member's key): asked again
      // every few seconds, each refusal a warning line and an audit row, for as long as it tails.
      clearInterval(refresher);
      store.hideWorkers();
    } else if (read.kind === "failed") store.workersReadFailed();
    else if (read.kind === "redirected") {
      redirected = read.message;
      quit();
    }
  };
  const refresher = setInterval(() => void refreshWorkers(), options.workersRefreshMs);
  const client = runEventClient({
    target,
    adminKey,
    signal: controller.signal,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    onEvent: ({ event }) => store.apply(event),
    onStatus: (status) => store.setStatus(status),
    onConnected: () => void refreshWorkers(),
    // The stream's own record comes when it ends (a reconnect's new stream may carry it): hidden too.
    requestId: () => store.ownCalls.mint(),
  });
  const exited = ink.waitUntilExit().then(
    () => null,
    () => null,
  );
  const outcome = await Promise.race([client, exited]);
  controller.abort();
  clearInterval(refresher);
  options.signal?.removeEventListener("abort", quit);
  releaseSignals();
  ink.unmount();
  await exited;
  await client;
  if (note !== undefined) options.stderr.write(`mindgw tail: ${note}\n`);
  const fatal =
    outcome?.kind === "fatal" ? outcome : redirected === null ? null : { message: redirected, exitCode: 2 };
  if (fatal !== null) {
    options.stderr.write(`mindgw tail: ${fatal.message}\n`);
    return fatal.exitCode;
  }
  return 0;
}
