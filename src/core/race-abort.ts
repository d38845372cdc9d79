/**
 * Settles as `work` does, unless `signal` aborts first: then at once, by `ifAborted` — rejected
 * with the signal's reason (`"reject"`: a retry's backoff, a shadow copy's next chunk, cut by the
 * caller leaving), or resolved with nothing (`"resolve"`: a sink's close deadline, which stops
 * waiting and leaves the work to go on unwaited). Either way the listener is removed as soon as
 * one of them comes, so a long-lived signal (a request's, a sink's close deadline) gathers none.
 * One promise and one listener a call, nothing more: a shadow copy races each of its chunks.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, ifAborted: "reject"): Promise<T>;
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  ifAborted: "resolve",
): Promise<T | undefined>;
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  ifAborted: "reject" | "resolve",
): Promise<T | undefined>;
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  ifAborted: "reject" | "resolve",
): Promise<T | undefined> {
  if (signal.aborted) {
    // Left unwaited, as when the signal aborts later: its failure must not go unhandled, which
    // ends the process (cli/crash-log.ts).
    work.catch(() => {});
    return ifAborted === "reject" ? Promise.reject(signal.reason) : Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => (ifAborted === "reject" ? reject(signal.reason) : resolve(undefined));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
