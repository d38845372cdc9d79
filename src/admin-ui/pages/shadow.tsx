/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../core/describe-error.ts";
import type { ShadowRecord, ShadowPage as ShadowReport, ShadowSide } from "../../shadow/shadow-api-schema.ts";
import type { ShadowCounts } from "../../telemetry/metrics/metric-sources.ts";
import { ApiError, getJson } from "../api.ts";
import { Caller } from "../components/caller.tsx";
import { Failure } from "../components/failure.tsx";
import { LoadOlder } from "../components/load-older.tsx";
import { filtersForm } from "../filters-url.ts";
import { ms, percent, time, usd } from "../format.ts";
import { scrollRegion } from "../scroll-region.ts";
import { useFiltersInAddress } from "../use-filters-in-address.ts";
import { useFocusFallback } from "../use-focus-fallback.ts";
import { useNewestLoad } from "../use-newest-load.ts";

const rate = (value: number | null) => (value === null ? "–" : percent(value));

/** What the pairs are narrowed to: a model, and a caller by its id (`key_id`); empty means any. */
interface ShadowFilters {
  model: string;
  keyId: string;
}

const ANY: ShadowFilters = { model: "", keyId: "" };

/** The filters in the page's address, as the API names them: `?model=…&key_id=…`. */
const SHADOW_FILTERS_FORM = filtersForm({ model: "model", keyId: "key_id" });

/**
 * Shadow comparisons: agreement, latency, tokens and cost per model, and examples side by side;
 * for one model, one caller (chosen in a pair, by its id), or both.
 */
export function ShadowPage() {
  // The filters live in the address too: a reload, Back and Forward, a copied link keep them.
  const [draft, setDraft] = useState<ShadowFilters>(() => SHADOW_FILTERS_FORM.fromSearch(location.search));
  const [applied, setApplied] = useState<ShadowFilters>(() =>
    SHADOW_FILTERS_FORM.fromSearch(location.search),
  );
  const [report, setReport] = useState<ShadowReport>();
  /** The filters `report` was read for: with one, an empty report is no pair matching, not none recorded. */
  const [reportFor, setReportFor] = useState<ShadowFilters>(ANY);
  const [records, setRecords] = useState<ShadowRecord[]>([]);
  const [unavailable, setUnavailable] = useState(false);
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string | null>(null);
  /** Whether "Load older" found the last page's last pair pruned since: the list's end, said so. */
  const [pruned, setPruned] = useState(false);

  const { loading, run } = useNewestLoad();
  // Where focus goes when a caller's name pressed goes as its pairs are read (a pair older than
  // the caller's first page, or pairs that cannot be read), or "Load older" with the last page:
  // the examples' heading, there even with no pair listed.
  const { list: examples, keepFocusOnReload } = useFocusFallback<HTMLHeadingElement>(records, loading);
  const load = (cursor: string | null) =>
    run(async (signal) => {
      const query = new URLSearchParams({ limit: "20" });
      if (applied.model) query.set("model", applied.model);
      if (applied.keyId) query.set("key_id", applied.keyId);
      if (cursor) query.set("cursor", cursor);
      try {
        const page = await getJson<ShadowReport>(`/admin/api/shadow?${query}`, signal);
        if (signal.aborted) return;
        setReport(page);
        setReportFor(applied);
        setRecords((current) => (cursor ? [...current, ...page.records] : page.records));
        setPruned(false);
        setError(undefined);
      } catch (failure) {
        if (signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 404) return setUnavailable(true);
        // The cursor's pair is gone (shadow.retention prunes the oldest, where this list ends): the
        // older pairs went with it. Pressed again, the same cursor would be the same 400 for good.
        if (
          cursor !== null &&
          failure instanceof ApiError &&
          failure.status === 400 &&
          failure.param === "cursor"
        ) {
          setReport((shown) => shown && { ...shown, nextCursor: null });
          setPruned(true);
          return setError(undefined);
        }
        setError(messageOf(failure));
        // A first page not read leaves nothing shown: the figures and pairs before it are another
        // filter's, never this one's. (An older page not read leaves the list as it is.)
        if (cursor === null) {
          setReport(undefined);
          setRecords([]);
          setPruned(false);
        }
      }
    });
  // Back or Forward to this page's other filters: those, in the form and the list.
  useFiltersInAddress(SHADOW_FILTERS_FORM, "/admin/shadow", applied, (chosen) => {
    setOpen(null);
    setDraft(chosen);
    setApplied(chosen);
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => {
    void load(null);
  }, [applied]);

  /** A caller chosen in a pair: its pairs alone, by its id. */
  const onlyCaller = (keyId: string) => {
    keepFocusOnReload();
    setOpen(null);
    setDraft({ ...draft, keyId });
    setApplied({ ...applied, keyId });
  };

  const filtered = reportFor.model !== "" || reportFor.keyId !== "";

  if (unavailable)
    return (
      <section aria-labelledby="shadow-title">
        <div class="page-head">
          <h1 id="shadow-title">Shadow</h1>
        </div>
        <p class="card muted" data-shadow="unavailable">
          This gateway does not report shadow comparisons. Set <code>shadow:</code> on a model in the config
          of a gateway that records them; results appear here.
        </p>
      </section>
    );

  return (
    <section aria-labelledby="shadow-title">
      <div class="page-head">
        <h1 id="shadow-title">Shadow</h1>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ model: draft.model.trim(), keyId: draft.keyId.trim() });
          }}
        >
          <label>
            Model
            <input
              name="model"
              value={draft.model}
              onInput={(e) => setDraft({ ...draft, model: e.currentTarget.value })}
            />
          </label>
          <label>
            Caller id
            <input
              name="key_id"
              value={draft.keyId}
              placeholder="key_… or jwt:…"
              onInput={(e) => setDraft({ ...draft, keyId: e.currentTarget.value })}
            />
          </label>
          <button type="submit">Apply</button>
        </form>
      </div>
      <Failure error={error} />
      {report && (
        <div {...scrollRegion("Shadow report")} class="card flush scroll" data-shadow="report">
          <table>
            <thead>
              <tr>
                <th>Model</th>
                <th class="num">Pairs</th>
                <th class="num">Shadow ok</th>
                <th class="num">Exact</th>
                <th class="num">Similarity</th>
                <th class="num wide">JSON valid</th>
                <th class="num wide">Tools agree</th>
                <th class="num">Latency (primary / shadow)</th>
                <th class="num">Cost (primary / shadow)</th>
              </tr>
            </thead>
            <tbody>
              {report.aggregates.map((a) => (
                <tr key={a.model}>
                  <td>{a.model}</td>
                  <td class="num">{a.pairs}</td>
                  <td class="num">{a.pairs ? percent(a.shadowOk / a.pairs) : "–"}</td>
                  <td class="num">{rate(a.exactRate)}</td>
                  <td class="num">{a.meanSimilarity === null ? "–" : a.meanSimilarity.toFixed(2)}</td>
                  <td class="num wide">{rate(a.shadowJsonValidRate)}</td>
                  <td class="num wide">{rate(a.toolAgreementRate)}</td>
                  <td class="num">
                    {ms(a.primaryLatencyMsMean)} / {ms(a.shadowLatencyMsMean)}
                  </td>
                  <td class="num">
                    {usd(a.primaryCostUsd)} / {usd(a.shadowCostUsd)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.aggregates.length === 0 && (
            <p class="muted pad">
              {filtered ? "No shadow pairs match this filter." : "No shadow pairs recorded yet."}
            </p>
          )}
        </div>
      )}
      {report?.counts && <Copies counts={report.counts} />}
      <h2 ref={examples} tabIndex={-1}>
        Examples
      </h2>
      {records.length === 0 && report && (
        <p class="muted">{filtered ? "No pair matches this filter." : "None yet."}</p>
      )}
      {records.length > 0 && (
        <div class="card flush pairs">
          {records.map((r) => (
            <div class="pair" key={r.id} data-shadow-pair={r.requestId}>
              <div class="pair-head">
                <span>
                  <button
                    type="button"
                    class="link"
                    aria-expanded={open === r.id}
                    onClick={() => setOpen(open === r.id ? null : r.id)}
                  >
                    {time(r.at)} · <bdi>{r.model}</bdi>
                  </button>{" "}
                  · <Caller id={r.keyId} name={r.keyName} onChoose={onlyCaller} />
                </span>
                <span class="muted small" data-agreement>
                  {r.agreement.exact
                    ? "identical"
                    : r.agreement.similarity === null
                      ? ""
                      : `similarity ${r.agreement.similarity.toFixed(2)}`}
                  {r.agreement.finishAgrees === false
                    ? ` · ended differently (${r.primary.finish} / ${r.shadow.finish})`
                    : ""}
                </span>
              </div>
              {open === r.id && (
                <div class="bodies">
                  <Side title="Primary" side={r.primary} />
                  <Side title="Shadow" side={r.shadow} />
                </div>
              )}
            </div>
          ))}
        </div>
      )}
      {pruned && (
        <p class="muted" data-shadow="pruned">
          The older pairs were pruned (<code>shadow.retention</code>) since this list was read: these are the
          oldest kept.
        </p>
      )}
      {report?.nextCursor && (
        <div class="pager">
          <LoadOlder
            loading={loading}
            keepFocusOnReload={keepFocusOnReload}
            onLoad={() => void load(report.nextCursor)}
          />
        </div>
      )}
    </section>
  );
}

/**
 * This node's copies since it started: in flight, shed (at the cap, or for want of a worker's
 * spare slot), skipped (the route could not carry the request as asked), and over by provider and
 * outcome.
 */
function Copies({ counts }: { counts: ShadowCounts }) {
  return (
    <>
      <h2>Copies on this node</h2>
      <div {...scrollRegion("Copies on this node")} class="card flush scroll" data-shadow="copies">
        <p class="muted pad">
          Since this gateway started: <span data-copies="in-flight">{counts.inFlight}</span> in flight,{" "}
          <span data-copies="shed">{counts.shed}</span> not sent (concurrency cap reached, or no worker had a
          slot to spare), <span data-copies="skipped">{counts.skipped}</span> not sent because the shadow
          route could not carry the request as asked (<code>translation.unsupported: reject</code>).
        </p>
        {counts.ended.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>Provider</th>
                <th>Outcome</th>
                <th class="num">Copies</th>
              </tr>
            </thead>
            <tbody>
              {counts.ended.map((c) => (
                <tr key={`${c.provider} ${c.outcome}`} data-copies-ended={`${c.provider} ${c.outcome}`}>
                  <td>{c.provider}</td>
                  <td>{c.outcome}</td>
                  <td class="num">{c.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

function Side({ title, side }: { title: string; side: ShadowSide }) {
  return (
    <div>
      <h3>
        {title}: <bdi>{side.route ?? "–"}</bdi>{" "}
        {side.upstreamModel ? (
          <>
            (<bdi>{side.upstreamModel}</bdi>)
          </>
        ) : null}
      </h3>
      <p class="small muted">
        {side.status || "cut off"}
        {side.errorClass ? ` ${side.errorClass}` : ""} · {ms(side.latencyMs)} · TTFT {ms(side.ttftMs)} ·{" "}
        {side.inputTokens}/{side.outputTokens} tokens · {usd(side.costUsd)}
        {side.finish ? ` · finish ${side.finish}` : ""}
      </p>
      <pre {...scrollRegion(`${title} answer`)}>
        {side.answer ?? "(answers are stored only with audit.bodies on)"}
      </pre>
    </div>
  );
}
