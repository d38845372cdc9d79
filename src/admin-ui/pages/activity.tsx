/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../core/describe-error.ts";
import type { SealedAction } from "../../http/admin/sealed-action-ids.ts";
import type { StoredAdminAction } from "../../storage/storage.ts";
import { getJson } from "../api.ts";
import { Caller } from "../components/caller.tsx";
import { Failure } from "../components/failure.tsx";
import { LoadOlder } from "../components/load-older.tsx";
import { filtersForm } from "../filters-url.ts";
import { time } from "../format.ts";
import { scrollRegion } from "../scroll-region.ts";
import { useFiltersInAddress } from "../use-filters-in-address.ts";
import { useFocusFallback } from "../use-focus-fallback.ts";
import { useNewestLoad } from "../use-newest-load.ts";

/** An action as the API gives it: to an admin in a tenant, its id sealed text (sealed-action-ids.ts). */
type ShownAction = StoredAdminAction | SealedAction;

/** `nextBefore` is an id too: sealed text to an admin in a tenant, given back as it came. */
interface ActionsPage {
  actions: ShownAction[];
  nextBefore: number | string | null;
}

/** The caller whose actions alone are shown, by its id (what the API filters by); "" for every caller. */
interface ActivityFilters {
  actor: string;
}

const EVERY_CALLER: ActivityFilters = { actor: "" };

/** The chosen caller in the page's address, as the API names it: `?actor=…`. */
const ACTIVITY_FILTERS_FORM = filtersForm({ actor: "actor" });

/**
 * The admin-action audit: every change made through /admin or the admin API, newest first. A
 * caller chosen in the Who column narrows it to that caller's changes, by its id.
 */
export function ActivityPage() {
  const [actions, setActions] = useState<ShownAction[]>([]);
  const [next, setNext] = useState<number | string | null>(null);
  const [error, setError] = useState<string>();
  // The caller chosen lives in the address too: a reload, Back and Forward, a copied link keep it.
  const [filters, setFilters] = useState<ActivityFilters>(() =>
    ACTIVITY_FILTERS_FORM.fromSearch(location.search),
  );
  const actor = filters.actor;
  const { loading, run } = useNewestLoad();
  /**
   * The list: where focus goes when "Show every caller" (which then goes away) is pressed, when a
   * caller's name pressed is in a row the chosen caller's list leaves out, or when "Load older"
   * goes with the last page.
   */
  const { list, keepFocusOnReload } = useFocusFallback<HTMLTableElement>(actions, loading);
  const load = (before: number | string | null) =>
    run(async (signal) => {
      try {
        const query = new URLSearchParams({ limit: "50" });
        if (before) query.set("before", String(before));
        if (actor) query.set("actor", actor);
        const page = await getJson<ActionsPage>(`/admin/api/actions?${query}`, signal);
        if (signal.aborted) return;
        setActions((current) => (before ? [...current, ...page.actions] : page.actions));
        setNext(page.nextBefore);
        setError(undefined);
      } catch (failure) {
        if (signal.aborted) return;
        setError(messageOf(failure));
        // A first page not read leaves none shown: the list before it is another caller's, or
        // every caller's, never the chosen one's. (An older page not read leaves the list as it is.)
        if (before === null) {
          setActions([]);
          setNext(null);
        }
      }
    });
  useFiltersInAddress(ACTIVITY_FILTERS_FORM, "/admin/activity", filters, setFilters);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page loads again for each actor chosen
  useEffect(() => {
    void load(null);
  }, [filters]);
  // Named as its changes name it (the address holds its id alone); by its id while none is listed.
  const actorName = actions.find((a) => a.actorKeyId === actor)?.actor ?? null;
  return (
    <section aria-labelledby="activity-title">
      <div class="page-head">
        <h1 id="activity-title">Admin activity</h1>
        {actor && (
          <p class="actions small" data-actor={actor}>
            Only the changes of <Caller id={actor} name={actorName} />
            <button
              type="button"
              class="secondary"
              onClick={() => {
                // Before the button goes: focus left on it would fall to the top of the page.
                list.current?.focus();
                setFilters(EVERY_CALLER);
              }}
            >
              Show every caller
            </button>
          </p>
        )}
      </div>
      <Failure error={error} />
      <div {...scrollRegion("Activity table")} class="scroll card flush">
        <table class="actions-table" ref={list} tabIndex={-1} aria-labelledby="activity-title">
          <thead>
            <tr>
              <th>Time</th>
              <th>Who</th>
              <th class="wide">Client</th>
              <th>Action</th>
              <th>Target</th>
              <th class="wide">Detail</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.id} data-action={a.action}>
                <td>{time(a.at)}</td>
                <td>
                  <Caller
                    id={a.actorKeyId}
                    name={a.actor}
                    onChoose={(id) => {
                      keepFocusOnReload();
                      setFilters({ actor: id });
                    }}
                  />
                  <div class="muted small">via {a.via}</div>
                </td>
                <td class="wide" data-client={a.clientIp ?? ""}>
                  {a.clientIp ?? "–"}
                </td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td class="break">
                  <bdi>{a.target ?? "–"}</bdi>
                </td>
                <td class="wide">
                  <bdi>{a.detail ?? ""}</bdi>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {actions.length === 0 && !error && !loading && <p class="muted pad">No admin changes yet.</p>}
      </div>
      {next && (
        <div class="pager">
          <LoadOlder loading={loading} keepFocusOnReload={keepFocusOnReload} onLoad={() => void load(next)} />
        </div>
      )}
    </section>
  );
}
