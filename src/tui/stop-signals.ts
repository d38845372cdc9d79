/**
 * What ends `mindgw tail` as `q` ends the view, with exit 0: a supervisor's stop, Ctrl-C where it
 * comes as a signal (`--json`, a stdin that is no terminal, `kill -INT`), the terminal closed.
 * Each is handled once: with its handler gone, a second ends the process at once.
 */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
