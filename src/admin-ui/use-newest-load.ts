import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface NewestLoad {
  /** The newest load has begun and not ended: a "Load more" waits, as the list it would extend is being replaced. */
  loading: boolean;
  /**
   * Runs `load`, aborting the load before it: `signal` is aborted when a newer load begins (or the
   * page is left), and a load whose signal is aborted shows nothing, answer or failure.
   */
  run: (load: (signal: AbortSignal) => Promise<void>) => Promise<void>;
}

/**
 * A page's loads of its list, each superseding those before: a "Load more" of the whole list still
 * on its way when a filter is chosen, answered after the filter's first page, would add rows the
 * filter leaves out (and a first page answered late would replace a newer one). The superseded
 * request is aborted, not only its answer ignored.
 */
export function useNewestLoad(): NewestLoad {
  const current = useRef<AbortController | null>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => () => current.current?.abort(), []);
  const run = useCallback(async (load: (signal: AbortSignal) => Promise<void>) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    try {
      await load(controller.signal);
    } finally {
      if (!controller.signal.aborted) setLoading(false);
    }
  }, []);
  return { loading, run };
}
