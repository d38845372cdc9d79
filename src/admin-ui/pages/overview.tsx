/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import type { StatsSeries } from "../../audit/request-stats.ts";
import { getJson, readsEveryTenant } from "../api.ts";
import { Chart } from "../components/chart.tsx";
import { Failure } from "../components/failure.tsx";
import { configFile, HIDDEN } from "../config-file.ts";
import { count, ms, percent, usd } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { lastConfigChange } from "../last-config-change.ts";
import { scrollRegion } from "../scroll-region.ts";
import type { RoutingView, StatusView } from "../views.ts";

const WINDOWS = ["15m", "1h", "6h", "24h"] as const;
const fmtRate = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
const fmtMs = (v: number) => ms(v);
const fmtShare = (v: number) => `${(v * 100).toFixed(0)}%`;
const fmtCount = (v: number) => count(Math.round(v));
const fmtUsd = (v: number) => (v === 0 ? "$0" : usd(v));

/**
 * Why a route's requests in flight and mean time to first byte are not shown to an admin in a tenant
 * (http/admin/tenant-routing.ts): on a provider every tenant may use, they are every tenant's.
 */
const SHARED_ROUTE_FIGURES =
  "Every tenant's requests on this route: their figures are shown only to admins outside every tenant, and on your tenant's own providers";
/** A route's figure left out of the routing table for this reader: "–", and why. */
const hidden = (figure: "load" | "ttfb") => (
  <span title={SHARED_ROUTE_FIGURES} {...{ [`data-${figure}`]: "hidden" }}>
    –
  </span>
);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Live figures: traffic, errors, latency and TTFT percentiles, tokens and cost, breakers, config. */
export function OverviewPage() {
  const [window, setWindow] = useState<(typeof WINDOWS)[number]>("15m");
  // An admin key in a tenant is refused the charts (403): they are every tenant's requests
  // together. It is not asked for them.
  const chartsRefused = !readsEveryTenant();
  const stats = useLoad(
    () =>
      chartsRefused
        ? Promise.resolve(undefined)
        : getJson<StatsSeries & { window: string }>(`/admin/api/stats?window=${window}`),
    [window],
    chartsRefused ? undefined : 5000,
  );
  const status = useLoad(() => getJson<StatusView>("/admin/api/status"), [], 5000);
  const routing = useLoad(() => getJson<RoutingView>("/admin/api/routing"), [], 10_000);
  // The chosen window's series alone: until it is read (or when it cannot be), its figures are
  // "–", never 0 nor the window before's under this one's name.
  const s = stats.data?.window === window ? stats.data : undefined;
  const perSec = s ? s.requests.map((n) => n / (s.stepMs / 1000)) : [];
  const total = s ? sum(s.requests) : 0;
  const errors = s ? sum(s.requests.map((n, i) => n * (s.errorShare[i] ?? 0))) : 0;
  const routes =
    routing.data?.models.flatMap((m) => m.routes.map((r) => ({ ...r, modelName: m.name }))) ?? [];
  // Unread (not yet answered, or refused), the breakers are not known: never "0 open".
  const open = routing.data ? routes.filter((r) => r.health.open) : undefined;
  const lastEvent = status.data?.config.lastEvent;
  const config = status.data?.config;
  // Restart-only settings the file changes from start: accepted, in effect only after a restart
  // (edited alone, nothing was applied at all: the version serves on).
  const restartFor = config?.restartRequired.join(", ") ?? "";

  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        {/* The window is the charts' alone: no buttons where there are none to choose it for. */}
        {!chartsRefused && (
          <fieldset class="segmented" aria-label="Time window">
            {WINDOWS.map((w) => (
              <button key={w} type="button" aria-pressed={w === window} onClick={() => setWindow(w)}>
                {w}
              </button>
            ))}
          </fieldset>
        )}
      </div>
      <Failure error={stats.error ?? status.error} />
      <div class="tiles">
        {!chartsRefused && (
          <>
            <Tile label="Requests" value={s ? count(total) : "–"} note={`last ${window}`} />
            <Tile label="Error share (5xx)" value={percent(s && total ? errors / total : null)} />
          </>
        )}
        {/* The gateway's load is every tenant's requests: the status leaves it out for an admin in a tenant. */}
        {!chartsRefused && (
          <Tile
            label="In flight"
            value={String(status.data?.inFlight ?? "–")}
            note="requests and streams, this page's included"
          />
        )}
        <Tile label="Workers" value={String(status.data?.workers ?? "–")} />
        {!chartsRefused && (
          <>
            <Tile label="Tokens" value={s ? count(sum(s.tokens)) : "–"} />
            <Tile label="Cost" value={usd(s ? sum(s.costUsd) : null)} />
          </>
        )}
        <Tile
          label="Open breakers"
          value={open ? String(open.length) : "–"}
          tone={open === undefined ? undefined : open.length ? "bad" : "good"}
        />
        <Tile
          label="Config"
          value={`v${config?.version ?? "–"}`}
          note={
            config?.lastReloadError
              ? "last change rejected"
              : restartFor
                ? "restart required (below)"
                : configFile(config)
          }
          tone={config?.lastReloadError || restartFor ? "bad" : undefined}
        />
      </div>
      {chartsRefused && (
        <p class="muted" data-charts-refused>
          Request charts are gateway-wide and shown only to admins outside every tenant.
        </p>
      )}
      {s && (
        <div class="charts">
          <Chart
            title="Requests per second"
            t={s.t}
            format={fmtRate}
            series={[{ label: "req/s", values: perSec, colorVar: "--c1" }]}
          />
          <Chart
            title="Latency"
            t={s.t}
            format={fmtMs}
            series={[
              { label: "p50", values: s.latencyP50, colorVar: "--c1" },
              { label: "p95", values: s.latencyP95, colorVar: "--c2" },
            ]}
          />
          <Chart
            title="Time to first token"
            t={s.t}
            format={fmtMs}
            series={[
              { label: "p50", values: s.ttftP50, colorVar: "--c3" },
              { label: "p95", values: s.ttftP95, colorVar: "--c4" },
            ]}
          />
          <Chart
            title="Error share (5xx)"
            range={[0, 1]}
            t={s.t}
            format={fmtShare}
            series={[{ label: "errors", values: s.errorShare, colorVar: "--c2" }]}
          />
          <Chart
            title="Tokens"
            t={s.t}
            format={fmtCount}
            series={[{ label: "tokens", values: s.tokens, colorVar: "--c3" }]}
          />
          <Chart
            title="Cost (USD)"
            t={s.t}
            format={fmtUsd}
            series={[{ label: "cost", values: s.costUsd, colorVar: "--c4" }]}
          />
        </div>
      )}
      <div class="two">
        <div class="card">
          <h2>Routes</h2>
          <Failure error={routing.error} />
          {!routing.data ? null : routes.length === 0 ? (
            <p class="muted">No configured routes.</p>
          ) : (
            <div {...scrollRegion("Routes")} class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Route</th>
                    <th>Breaker</th>
                    <th>In flight</th>
                    <th>TTFB (avg)</th>
                  </tr>
                </thead>
                <tbody>
                  {routes.map((r) => (
                    <tr key={`${r.modelName}/${r.provider}/${r.model}`}>
                      <td>{r.modelName}</td>
                      <td>
                        {r.provider}/{r.model}
                      </td>
                      <td>
                        <span class={`badge ${r.health.open ? "bad" : "good"}`}>
                          {r.health.open ? "open" : "closed"}
                        </span>
                      </td>
                      <td class="num">{r.health.inFlight ?? hidden("load")}</td>
                      <td class="num">
                        {r.health.latencyMs === undefined
                          ? hidden("ttfb")
                          : r.health.latencyMs
                            ? ms(r.health.latencyMs)
                            : "–"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <div class="card">
          <h2>Configuration</h2>
          <dl class="facts">
            <dt>File</dt>
            <dd>{configFile(config)}</dd>
            <dt>Version</dt>
            <dd>{config?.version ?? "–"}</dd>
            <dt>Last change</dt>
            <dd>
              {lastEvent
                ? lastConfigChange(lastEvent, new Date(lastEvent.at).toLocaleTimeString())
                : config && lastEvent === undefined
                  ? HIDDEN
                  : "none since start"}
            </dd>
            {restartFor && (
              <>
                <dt>Not applied</dt>
                <dd class="error" data-restart-required={restartFor}>
                  restart required for: {restartFor} (still as at start)
                </dd>
              </>
            )}
            {status.data?.config.lastReloadError && (
              <>
                <dt>Rejected because</dt>
                <dd>
                  <pre class="error">{status.data.config.lastReloadError}</pre>
                </dd>
              </>
            )}
            <dt>Audit storage</dt>
            <dd>{status.data ? (status.data.audit.healthy ? "healthy" : "failing") : "–"}</dd>
            <dt>Draining</dt>
            <dd>{status.data ? (status.data.draining ? "yes" : "no") : "–"}</dd>
          </dl>
        </div>
      </div>
    </section>
  );
}

function Tile({
  label,
  value,
  note,
  tone,
}: {
  label: string;
  value: string;
  note?: string | undefined;
  tone?: "good" | "bad" | undefined;
}) {
  return (
    <div class={`tile ${tone ?? ""}`}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {note && <div class="tile-note">{note}</div>}
    </div>
  );
}
