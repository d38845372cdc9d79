/**
 * A library the gateway loads with `import()` on first need and then reads synchronously (the
 * price catalogue, YAML, OpenTelemetry's TraceState): never at start where nothing needs it. An
 * `import()`, not a `require()` on first use: the executable keeps what is imported in a chunk of
 * its own, read only when imported, where what is required is bundled into the code read at start
 * (docs/BENCHMARKS.md, idle RSS).
 */
export interface OnDemand<T> {
  /** Loads it if it is not yet; whoever reads it awaits this first. */
  load(): Promise<void>;
  loaded(): boolean;
  /** It, loaded; a `NotLoadedError` before. */
  get(): T;
}

/**
 * A library read before it was loaded: the gateway's own mistake, never its input's, so a catch
 * that judges input (a config file's YAML) lets it through rather than blaming the file.
 */
export class NotLoadedError extends Error {
  override readonly name = "NotLoadedError";
}

/** `what` loaded by `load` (its `import()`), its loader named `loader` in the error of a read too soon. */
export function onDemand<T>(what: string, loader: string, load: () => Promise<T>): OnDemand<T> {
  let value: T | undefined;
  return {
    load: async () => {
      value ??= await load();
    },
    loaded: () => value !== undefined,
    get: () => {
      if (value === undefined) throw new NotLoadedError(`${what} is read before it is loaded (${loader})`);
      return value;
    },
  };
}
