/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import type { AuditPage } from "../../audit/audit-query.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { rowKeyText } from "../../audit/audit-row-key.ts";
import { messageOf } from "../../core/describe-error.ts";
import { call, getJson } from "../api.ts";
import { Caller } from "../components/caller.tsx";
import { Failure } from "../components/failure.tsx";
import { LoadOlder } from "../components/load-older.tsx";
import { RequestDetail } from "../components/request-detail.tsx";
import { clock, ms, statusClass, time, usd } from "../format.ts";
import { type AuditFilters, NO_FILTERS, REQUEST_FILTERS_FORM, toQuery } from "../request-filters.ts";
import {
  EMPTY_LIST,
  type OlderRows,
  olderQuery,
  type RequestList,
  withFirstPage,
  withOlderPage,
} from "../request-list.ts";
import { scrollRegion } from "../scroll-region.ts";
import { useFiltersInAddress } from "../use-filters-in-address.ts";
import { useFocusFallback } from "../use-focus-fallback.ts";
import { unansweredLine, useLiveRows } from "../use-live-rows.ts";
import { useNewestLoad } from "../use-newest-load.ts";

const PAGE = 50;

/** The audit log: filters, cursor paging, live mode, a detail view, and export. */
export function RequestsPage() {
  // The filters live in the address too: a reload, Back and Forward, a copied link keep them.
  const [draft, setDraft] = useState<AuditFilters>(() => REQUEST_FILTERS_FORM.fromSearch(location.search));
  const [filters, setFilters] = useState<AuditFilters>(() =>
    REQUEST_FILTERS_FORM.fromSearch(location.search),
  );
  const [list, setList] = useState<RequestList>(EMPTY_LIST);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(false);
  const [selected, setSelected] = useState<AuditRecord | null>(null);

  const { loading, run } = useNewestLoad();
  // Where focus goes when a caller's name pressed is gone from the page as its requests are read:
  // in the detail, which closes, or a row older than the caller's first page; or when "Load
  // older" goes with the last page.
  const { list: table, keepFocusOnReload } = useFocusFallback<HTMLTableElement>(list, loading);
  // The filters the listed rows were read under: a first page of other filters that cannot be
  // read leaves none listed, never the rows of the filters before as if they matched.
  const listedUnder = useRef<AuditFilters | null>(null);
  /** The first page (`older` null), or the page older than the list's rows. */
  const load = (older: OlderRows | null) =>
    run(async (signal) => {
      try {
        const query = older ? olderQuery(toQuery(filters), older) : toQuery(filters);
        query.set("limit", String(PAGE));
        const page = await getJson<AuditPage>(`/admin/api/audit?${query}`, signal);
        if (signal.aborted) return;
        setList((current) => (older ? withOlderPage(current, page) : withFirstPage(current, page, filters)));
        listedUnder.current = filters;
        setError(undefined);
      } catch (failure) {
        if (signal.aborted) return;
        setError(messageOf(failure));
        if (!older && listedUnder.current !== filters) {
          setList(EMPTY_LIST);
          listedUnder.current = filters;
        }
      }
    });

  // Back or Forward to this page's other filters: those, in the form and the list.
  useFiltersInAddress(REQUEST_FILTERS_FORM, "/admin/requests", filters, (chosen) => {
    setSelected(null);
    setDraft(chosen);
    setFilters(chosen);
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => {
    void load(null);
  }, [filters]);

  // The stream has no replay: what finished while it was not open (before live mode was turned
  // on, or while it was down, a gateway restart) is read from the log at each connect, the first
  // page merged under the rows that came live meanwhile, none twice.
  const { connected, unanswered, reread } = useLiveRows(live, filters, setList, () => void load(null));

  const exportAs = async (format: "ndjson" | "csv") => {
    try {
      const query = toQuery(filters);
      query.set("format", format);
      const blob = await (await call(`/admin/api/audit/export?${query}`)).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `mindgw-audit.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  // Each row's time, which opens its detail: where focus goes back when the detail closes (it
  // would fall to the top of the page with the detail's Close), or the list when the row is gone.
  const openButtons = useRef(new Map<string, HTMLButtonElement>());
  const closeDetail = () => {
    if (selected) (openButtons.current.get(rowKeyText(selected)) ?? table.current)?.focus();
    setSelected(null);
  };

  /** A caller chosen in the list: its requests alone, by its id (a name may be a key's and a JWT's). */
  const onlyCaller = (id: string) => {
    keepFocusOnReload();
    setSelected(null);
    setDraft({ ...draft, key: id });
    setFilters({ ...filters, key: id });
  };

  // An App column only on a gateway whose rows name apps (`apps:`): elsewhere it would be all dashes.
  const { records, older } = list;
  const came = list.live?.count ?? 0;
  const withApps = records.some((r) => r.app != null);
  const field = (name: Exclude<keyof AuditFilters, "showAdmin">, label: string, placeholder = "") => (
    // biome-ignore lint/a11y/noLabelWithoutControl: the input is inside the label, in either branch
    <label>
      {label}
      {name === "from" || name === "to" ? (
        <input
          name={name}
          type="datetime-local"
          step="1"
          value={draft[name]}
          onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
        />
      ) : (
        <input
          name={name}
          type="text"
          value={draft[name]}
          placeholder={placeholder}
          onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
        />
      )}
    </label>
  );

  return (
    <section aria-labelledby="requests-title">
      <div class="page-head">
        <h1 id="requests-title">Requests</h1>
        <div class="actions">
          <label class="switch">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
            Live{" "}
            {live && (
              <span class={`dot ${connected ? "on" : ""}`} title={connected ? "connected" : "connecting"}>
                <span class="sr-only">{connected ? "connected" : "connecting"}</span>
              </span>
            )}
          </label>
          <button type="button" class="secondary" onClick={() => exportAs("ndjson")}>
            Export NDJSON
          </button>
          <button type="button" class="secondary" onClick={() => exportAs("csv")}>
            Export CSV
          </button>
        </div>
      </div>
      <form
        class="filters card"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          setSelected(null);
          setFilters({ ...draft });
        }}
      >
        {field("key", "Key", "id or name")}
        {field("model", "Model")}
        {field("route", "Route", "provider:name")}
        {field("app", "App")}
        <label>
          Status
          <select
            name="status"
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="2xx">2xx</option>
            <option value="4xx">4xx</option>
            <option value="5xx">5xx</option>
            <option value="429">429</option>
          </select>
        </label>
        {field("from", "From")}
        {field("to", "To")}
        <label class="switch">
          <input
            name="showAdmin"
            type="checkbox"
            checked={draft.showAdmin}
            onChange={(e) => {
              // Applies at once, like Live: it says which rows the list is of, not what to search.
              const showAdmin = e.currentTarget.checked;
              setDraft({ ...draft, showAdmin });
              setFilters({ ...filters, showAdmin });
            }}
          />
          Admin API calls
        </label>
        <div class="filter-buttons">
          <button type="submit">Apply</button>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <Failure error={error} />
      {live && unanswered.length > 0 && (
        <p class="hint" role="status">
          {unansweredLine(unanswered, reread)}
        </p>
      )}
      {/* Live rows are drawn without a sound: this polite region, on the page before any row
          comes, says how many came (WCAG 4.1.3, status messages). */}
      <p class="sr-only" role="status">
        {live && came > 0
          ? `${came} new ${came === 1 ? "request" : "requests"} since live mode or its filters began`
          : ""}
      </p>
      {selected && <RequestDetail record={selected} onClose={closeDetail} onChooseCaller={onlyCaller} />}
      <div {...scrollRegion("Requests table")} class="scroll card flush">
        <table class="requests" ref={table} tabIndex={-1} aria-labelledby="requests-title">
          <thead>
            <tr>
              <th>Time</th>
              <th>Status</th>
              <th>Key</th>
              {withApps && <th class="wide">App</th>}
              <th>Model</th>
              <th class="wide">Route</th>
              <th class="num">Latency</th>
              <th class="num wide">TTFT</th>
              <th class="num wide">Tokens</th>
              <th class="num wide">Cost</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => {
              // The time shown and the button's name both read it: computed once per row.
              const shownTime = clock(r.startedAt);
              const millis = time(r.startedAt).slice(19);
              return (
                <tr
                  key={rowKeyText(r)}
                  class={selected && rowKeyText(selected) === rowKeyText(r) ? "selected" : ""}
                  data-request-id={r.requestId}
                >
                  <td>
                    <button
                      type="button"
                      class="link time"
                      ref={(button) => {
                        if (button) openButtons.current.set(rowKeyText(r), button);
                        else openButtons.current.delete(rowKeyText(r));
                      }}
                      onClick={() => setSelected(r)}
                      // The name starts with the time it shows (WCAG 2.5.3, label in name): a voice
                      // user says what they see.
                      aria-label={`${shownTime}${millis}, open request ${r.requestId}`}
                    >
                      {/* Its milliseconds go on narrow screens, as the other wide columns do. */}
                      {shownTime}
                      <span class="wide">{millis}</span>
                    </button>
                  </td>
                  <td>
                    <span class={`status ${statusClass(r.status)}`}>{r.status}</span>
                  </td>
                  <td>
                    <Caller id={r.keyId} name={r.keyName} onChoose={onlyCaller} />
                  </td>
                  {withApps && <td class="wide">{r.app ?? "–"}</td>}
                  <td>{r.model ?? r.frontDoor}</td>
                  <td class="wide">{r.route ?? "–"}</td>
                  <td class="num">{ms(r.latencyMs)}</td>
                  <td class="num wide">{ms(r.ttfbMs)}</td>
                  <td class="num wide">{r.inputTokens + r.outputTokens}</td>
                  <td class="num wide">{usd(r.costUsd)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {records.length === 0 && !loading && !error && <p class="muted pad">No requests match.</p>}
      </div>
      <div class="pager">
        {older && (
          <LoadOlder
            loading={loading}
            keepFocusOnReload={keepFocusOnReload}
            onLoad={() => void load(older)}
          />
        )}
        <span class="muted">{records.length} shown</span>
      </div>
    </section>
  );
}
