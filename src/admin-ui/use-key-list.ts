import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { KeyView } from "../auth/key-view.ts";
import { messageOf } from "../core/describe-error.ts";
import type { KeyPage } from "../http/admin/key-page.ts";
import { getJson } from "./api.ts";
import { useNewestLoad } from "./use-newest-load.ts";

export interface KeyWithSpend extends KeyView {
  /** Spend this budget period; null while unknown (the spend call failed). */
  spent: number | null;
}

export interface KeyList {
  keys: KeyWithSpend[];
  /** Another page exists. */
  more: boolean;
  loading: boolean;
  error: string | undefined;
  /** The keys are shown, but their spend could not be read. */
  spendError: string | undefined;
  loadMore: () => void;
  /** From the first page again (after a change). */
  reload: () => void;
}

const PAGE = 50;

/**
 * The Keys page's list, 50 keys a page ("Load more"), each page's spend read for its own ids: a
 * gateway with thousands of keys never gets one query naming them all, and a spend read that
 * fails leaves the keys shown.
 */
export function useKeyList(includeRevoked: boolean): KeyList {
  const [keys, setKeys] = useState<KeyWithSpend[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [spendError, setSpendError] = useState<string>();
  const { loading, run } = useNewestLoad();
  // Whether the listed keys were read with revoked and expired ones: a first page of the other
  // choice that cannot be read leaves none listed, never the keys before as if they were its own.
  const listedWith = useRef<boolean | null>(null);

  const load = useCallback(
    (after: string | null) =>
      run(async (signal) => {
        try {
          const query = new URLSearchParams({ include_revoked: String(includeRevoked), limit: String(PAGE) });
          if (after) query.set("cursor", after);
          const page = await getJson<KeyPage>(`/admin/api/keys?${query}`, signal);
          let spentUsd: Record<string, number> | null = null;
          let spendFailure: string | undefined;
          if (page.keys.length > 0) {
            const ids = new URLSearchParams(page.keys.map((k) => ["ids", k.id]));
            try {
              spentUsd = (
                await getJson<{ spentUsd: Record<string, number> }>(`/admin/api/spend?${ids}`, signal)
              ).spentUsd;
            } catch (failure) {
              spendFailure = `Spend could not be read: ${messageOf(failure)}`;
            }
          }
          // A newer load (the other filter, a reload) took over.
          if (signal.aborted) return;
          const rows = page.keys.map((k) => ({ ...k, spent: spentUsd ? (spentUsd[k.id] ?? 0) : null }));
          setKeys((current) => (after ? [...current, ...rows] : rows));
          listedWith.current = includeRevoked;
          setCursor(page.nextCursor);
          setError(undefined);
          setSpendError(spendFailure);
        } catch (failure) {
          if (signal.aborted) return;
          setError(messageOf(failure));
          // A reload of the same list (after a change) that fails keeps it, the error above it.
          if (after === null && listedWith.current !== includeRevoked) {
            setKeys([]);
            setCursor(null);
            setSpendError(undefined);
            listedWith.current = includeRevoked;
          }
        }
      }),
    [includeRevoked, run],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  return {
    keys,
    more: cursor !== null,
    loading,
    error,
    spendError,
    loadMore: () => cursor && void load(cursor),
    reload: () => void load(null),
  };
}
