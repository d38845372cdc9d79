import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../core/describe-error.ts";
import { ApiError } from "./api.ts";
import { gatewayNow } from "./gateway-clock.ts";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  /** The HTTP status of the last failure, if it was an answer from the gateway. */
  status: number | undefined;
  /**
   * When `data` was read, on the gateway's clock (gateway-clock.ts), as the times it stamps that the
   * pages show beside it: figures kept after a failed read are as of then (stale-note.ts).
   */
  loadedAt: number | undefined;
  reload: () => void;
}

/** Loads with `load` now, whenever `deps` change, and every `everyMs` when given. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<number>();
  const [loadedAt, setLoadedAt] = useState<number>();
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    let live = true;
    latest.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setLoadedAt(gatewayNow());
        setError(undefined);
        setStatus(undefined);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(messageOf(failure));
        setStatus(failure instanceof ApiError ? failure.status : undefined);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);

  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, reload]);

  return { data, error, status, loadedAt, reload };
}
