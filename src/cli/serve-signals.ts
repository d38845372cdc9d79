import type { Logger } from "../log/logger.ts";

export type StopSignal = "SIGTERM" | "SIGINT";

/** What the running gateway does on a signal. */
export interface SignalTargets {
  /** The first SIGTERM or SIGINT: drain and stop. */
  stop(signal: StopSignal): void;
  /** SIGHUP: read the config file again. */
  reload(): void;
}

/**
 * The signals `mindgw serve` answers, handled from its first line on: without a handler SIGHUP
 * kills the process, and SIGTERM or SIGINT end it by the signal with nothing stopped in order. A
 * `systemctl reload` or `stop` right after a start (the unit's ExecReload is `kill -HUP`) comes
 * while the gateway is still loading its config, opening its store or binding its port.
 *
 * While it starts, a SIGHUP waits for it to be up, then reloads; a SIGTERM or SIGINT asks the
 * start to end (`stopAsked`): what was started stops, the gateway never listens, and the process
 * exits 0. Once it runs, SIGHUP reloads and the first SIGTERM or SIGINT drains. A SIGHUP while it
 * stops is not applied, and a second SIGTERM or SIGINT is logged and ignored: its default action,
 * a kill, would drop the audit queue the drain is writing (SIGKILL stops at once).
 */
export class ServeSignals {
  private stopBy: StopSignal | undefined;
  private hangupWaiting = false;
  private targets: SignalTargets | undefined;
  private logger: Logger | undefined;

  constructor() {
    process.on("SIGTERM", () => this.onStop("SIGTERM"));
    process.on("SIGINT", () => this.onStop("SIGINT"));
    process.on("SIGHUP", () => this.onHangup());
  }

  /** The stop signal received so far, if any: a start that sees one ends instead of listening. */
  get stopAsked(): StopSignal | undefined {
    return this.stopBy;
  }

  /** Where to say what a signal did, once the config has said how to log. */
  logTo(logger: Logger): void {
    this.logger = logger;
  }

  /**
   * The gateway is up: signals reach it from now on. A stop asked meanwhile stops it now; a
   * SIGHUP received while it started reloads it now (an edit made meanwhile is read).
   */
  running(targets: SignalTargets): void {
    this.targets = targets;
    if (this.stopBy) targets.stop(this.stopBy);
    else if (this.hangupWaiting) {
      this.hangupWaiting = false;
      this.logger?.info("SIGHUP received while starting: reloading now that the gateway is up");
      targets.reload();
    }
  }

  private onStop(signal: StopSignal): void {
    if (this.stopBy) {
      const doing = this.targets ? "draining" : "stopping";
      this.logger?.warn(`${signal} received: already ${doing} (SIGKILL stops at once)`);
    } else {
      this.stopBy = signal;
      if (this.targets) this.targets.stop(signal);
      else this.logger?.info(`${signal} received while starting: stopping`);
    }
  }

  private onHangup(): void {
    if (this.stopBy)
      this.logger?.warn(`SIGHUP received while ${this.targets ? "draining" : "stopping"}: not reloaded`);
    else if (this.targets) this.targets.reload();
    else this.hangupWaiting = true;
  }
}

let installed: ServeSignals | undefined;

/**
 * The process's one `ServeSignals`, installed on the first call: main.ts makes that call before
 * the CLI's modules are evaluated (catch-serve-signals.ts), `mindgw serve` takes it over.
 */
export function serveSignals(): ServeSignals {
  installed ??= new ServeSignals();
  return installed;
}
