/**
 * What ends `mindgw tail` as `q` ends the view, with exit 0: a supervisor's stop, Ctrl-C where it
 * comes as a signal (`--json`, a stdin that is no terminal, `kill -INT`), the terminal closed.
 */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Calls `stop` on the first stop signal, of any of the three, which takes them all back: the next,
 * whichever it is (a Ctrl-C after a SIGTERM), ends the process at once, by the signal's default.
 * Returns the undo, for a tail that ends otherwise (`q`, a fatal error). Both views use it, so
 * they answer signals alike.
 */
export function onFirstStopSignal(stop: () => void): () => void {
  const release = () => {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
  };
  const onSignal = () => {
    release();
    stop();
  };
  for (const name of STOP_SIGNALS) process.once(name, onSignal);
  return release;
}
