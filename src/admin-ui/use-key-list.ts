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
  /**
   * From the first page again (after a change), as many keys as are listed and `added` more (a key
   * the change minted, listed first, would push the last listed off): pages "Load more" added stay.
   */
  reload: (added?: number) => void;
}

const PAGE = 50;

interface ReadPage {
  rows: KeyWithSpend[];
  nextCursor: string | null;
  spendFailure: string | undefined;
}

/** One page of at most `limit` keys after `after`, each with its spend (null when that read failed). */
async function readPage(
  includeRevoked: boolean,
  after: string | null,
  limit: number,
  signal: AbortSignal,
): Promise<ReadPage> {
  const query = new URLSearchParams({ include_revoked: String(includeRevoked), limit: String(limit) });
  if (after) query.set("cursor", after);
  const page = await getJson<KeyPage>(`/admin/api/keys?${query}`, signal);
  let spentUsd: Record<string, number> | null = null;
  let spendFailure: string | undefined;
  if (page.keys.length > 0) {
    const ids = new URLSearchParams(page.keys.map((k) => ["ids", k.id]));
    try {
      spentUsd = (await getJson<{ spentUsd: Record<string, number> }>(`/admin/api/spend?${ids}`, signal))
        .spentUsd;
    } catch (failure) {
      spendFailure = `Spend could not be read: ${messageOf(failure)}`;
    }
  }
  const rows = page.keys.map((k) => ({ ...k, spent: spentUsd ? (spentUsd[k.id] ?? 0) : null }));
  return { rows, nextCursor: page.nextCursor, spendFailure };
}

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
  // How many keys are listed, for a reload to read as many (the pages "Load more" added too).
  const listed = useRef(0);
  listed.current = keys.length;

  const load = useCallback(
    /** Reads `count` keys after `after`, a page (50) at a time, fewer if the list ends first. */
    (after: string | null, count: number) =>
      run(async (signal) => {
        try {
          let rows: KeyWithSpend[] = [];
          let next = after;
          let spendFailure: string | undefined;
          do {
            const page = await readPage(includeRevoked, next, Math.min(PAGE, count - rows.length), signal);
            rows = [...rows, ...page.rows];
            next = page.nextCursor;
            spendFailure ??= page.spendFailure;
          } while (next !== null && rows.length < count && !signal.aborted);
          // A newer load (the other filter, a reload) took over.
          if (signal.aborted) return;
          setKeys((current) => (after ? [...current, ...rows] : rows));
          listedWith.current = includeRevoked;
          setCursor(next);
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
    void load(null, PAGE);
  }, [load]);

  return {
    keys,
    more: cursor !== null,
    loading,
    error,
    spendError,
    loadMore: () => cursor && void load(cursor, PAGE),
    reload: (added = 0) => void load(null, Math.max(PAGE, listed.current + added)),
  };
}
